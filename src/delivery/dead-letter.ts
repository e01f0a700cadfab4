import type { PulledMessage } from "../nats/pulled-message.js";
import { headers as natsHeaders, type MsgHdrs } from "@nats-io/transport-node";
import type { Decision } from "./decision.js";

export type DeadLetterDecision = Extract<Decision, { action: "dead_letter" }>;

/** Publishes to JetStream in the message's own account and resolves once the stream has stored it. */
export type DeadLetterPublish = (
  subject: string,
  data: Uint8Array,
  headers: MsgHdrs,
  msgId: string,
) => Promise<void>;

/**
 * The DLQ copy of a message: its original data and headers but for the `Nats-*` ones, plus why
 * it was given up on. The message's own id (its stream sequence's webhook-id) becomes the
 * `Nats-Msg-Id`, so a message dead-lettered twice (a redelivery after the DLQ publish succeeded but
 * the term was lost) is stored once by the DLQ stream.
 */
export function deadLetterHeaders(
  msg: Pick<PulledMessage, "headers" | "subject" | "seq" | "deliveryCount">,
  decision: DeadLetterDecision,
  context: { readonly stream: string; readonly tenantId: string | undefined },
): MsgHdrs {
  const out = natsHeaders();
  const original = msg.headers;
  if (original !== undefined) {
    for (const key of original.keys()) {
      // The original's control headers (Nats-Msg-Id, Nats-Expected-Stream, ...) would steer the
      // DLQ publish itself: an expectation meant for the original stream fails it forever.
      if (key.toLowerCase().startsWith("nats-")) continue;
      for (const value of original.values(key)) out.append(key, value);
    }
  }
  out.set("streamhook-dlq-reason", decision.reason);
  if (decision.status !== undefined) out.set("streamhook-dlq-status", String(decision.status));
  if (decision.error !== undefined) out.set("streamhook-dlq-error", oneLine(decision.error));
  out.set("streamhook-dlq-attempts", String(msg.deliveryCount));
  out.set("streamhook-subject", msg.subject);
  out.set("streamhook-stream", context.stream);
  out.set("streamhook-sequence", String(msg.seq));
  if (context.tenantId !== undefined) out.set("streamhook-tenant", context.tenantId);
  return out;
}

/** Header values cannot hold line breaks; errors from sockets sometimes do. */
function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, " ").slice(0, 512);
}
