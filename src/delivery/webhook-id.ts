import { hash } from "node:crypto";
import type { MsgHdrs } from "@nats-io/transport-node";
import { REPLAY_OF_HEADER, replayedSequence } from "./replay-of.js";

/**
 * The part of every `webhook-id` that names where an account's messages live: account, stream and
 * the stream's creation time (which tells apart a stream that was deleted and made again). It is
 * hashed, so separators in names can never make two places collide, and cut to a fixed length
 * (132 bits), so the sequence appended to it cannot be confused with part of it. base64url has no
 * `.`, which the signed content uses as a delimiter. Computed once per account session.
 */
export function webhookIdPrefix(account: string, stream: string, streamCreated: string): string {
  const digest = hash("sha256", `${account}\u0000${stream}\u0000${streamCreated}`, "base64url");
  return `msg_${digest.slice(0, 22)}_`;
}

/**
 * The `webhook-id` of a message: derived only from where the message lives and its sequence, so
 * every redelivery, restart and replica computes the same id and receivers can deduplicate on
 * it. Per message it is a concatenation; a hash per message was a measurable share of a drain.
 */
export function webhookId(prefix: string, sequence: number): string {
  return `${prefix}${sequence}`;
}

/**
 * The `webhook-id` a message is delivered with: its own, or for a message `dlq replay` published
 * back, the original's (see replayedSequence()), so receivers deduplicate a replay against the
 * first attempts. A message without headers costs nothing more; one with headers, one lookup.
 */
export function messageWebhookId(
  target: { readonly idPrefix: string; readonly stream: string },
  msg: { readonly seq: number; readonly headers?: MsgHdrs | undefined },
): string {
  const replayOf = msg.headers?.get(REPLAY_OF_HEADER);
  return webhookId(target.idPrefix, replayedSequence(replayOf, target.stream, msg.seq));
}
