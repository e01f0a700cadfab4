import { hash } from "node:crypto";

/**
 * The `webhook-id` of a message: derived only from where the message lives (account, stream,
 * the stream's creation time, sequence), so every redelivery, restart and replica computes the
 * same id, and receivers can deduplicate on it. Hashing keeps separators in names from ever making
 * two different messages collide, and base64url has no `.` (which the signed content uses as a
 * delimiter). The creation time tells apart a stream that was deleted and made again.
 */
export function webhookId(
  account: string,
  stream: string,
  streamCreated: string,
  sequence: number,
): string {
  // The one-shot hash: a Hash object per message costs twice as much on the hot path.
  const digest = hash(
    "sha256",
    `${account}\u0000${stream}\u0000${streamCreated}\u0000${sequence}`,
    "base64url",
  );
  return `msg_${digest.slice(0, 32)}`;
}
