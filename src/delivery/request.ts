import type { PulledMessage } from "../nats/pulled-message.js";
import { buildBody } from "./body.js";
import { subjectHeader, traceHeaders } from "./header-values.js";
import type { DeliveryTarget } from "./target.js";
import { messageWebhookId } from "./webhook-id.js";

export type PreparedRequest =
  | {
      readonly ok: true;
      readonly id: string;
      /** undici's flat `[name, value, ...]` form. */
      readonly headers: string[];
      readonly body: Buffer;
    }
  | { readonly ok: false; readonly id: string; readonly error: string };

/** The last `webhook-timestamp` written: it changes once a second, not once a message. */
let lastTimestamp = { seconds: -1, text: "" };

function timestampText(seconds: number): string {
  if (seconds !== lastTimestamp.seconds) lastTimestamp = { seconds, text: String(seconds) };
  return lastTimestamp.text;
}

/**
 * Builds the body and every header of SPEC section 4 for one attempt of one message. `trace`, when
 * tracing is on, replaces the message's own trace headers with ones naming the attempt's span.
 */
export function prepareRequest(
  target: DeliveryTarget,
  msg: PulledMessage,
  nowMs: number = Date.now(),
  trace?: readonly string[],
): PreparedRequest {
  const id = messageWebhookId(target, msg);
  const built = buildBody(msg, target, id);
  if (!built.ok) return { ok: false, id, error: built.error };
  const timestamp = Math.floor(nowMs / 1000);
  const headers = target.staticHeaderList.slice();
  headers.push(
    "webhook-id",
    id,
    "webhook-timestamp",
    timestampText(timestamp),
    "streamhook-subject",
    subjectHeader(msg.subject),
    "streamhook-sequence",
    String(msg.seq),
    "streamhook-attempt",
    String(msg.deliveryCount),
  );
  if (target.signer !== undefined) {
    headers.push("webhook-signature", target.signer.sign(id, timestamp, built.body));
  }
  if (trace !== undefined) headers.push(...trace);
  else if (msg.headers !== undefined) headers.push(...traceHeaders(msg.headers));
  return { ok: true, id, headers, body: built.body };
}
