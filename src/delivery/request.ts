import type { JsMsg } from "@nats-io/jetstream";
import { Match } from "@nats-io/transport-node";
import { buildBody } from "./body.js";
import type { DeliveryTarget } from "./target.js";
import { webhookId } from "./webhook-id.js";

const TRACE_HEADERS = ["traceparent", "tracestate"] as const;

export type PreparedRequest =
  | {
      readonly ok: true;
      readonly id: string;
      /** undici's flat `[name, value, ...]` form. */
      readonly headers: string[];
      readonly body: Buffer;
    }
  | { readonly ok: false; readonly id: string; readonly error: string };

/** Builds the body and every header of SPEC section 4 for one attempt of one message. */
export function prepareRequest(
  target: DeliveryTarget,
  msg: Pick<JsMsg, "data" | "subject" | "seq" | "headers" | "timestampNanos" | "info">,
  nowMs: number = Date.now(),
): PreparedRequest {
  const id = webhookId(target.idPrefix, msg.seq);
  const built = buildBody(msg, target, id);
  if (!built.ok) return { ok: false, id, error: built.error };
  const timestamp = Math.floor(nowMs / 1000);
  const headers = target.staticHeaderList.concat([
    "webhook-id",
    id,
    "webhook-timestamp",
    String(timestamp),
    "streamhook-subject",
    msg.subject,
    "streamhook-sequence",
    String(msg.seq),
    "streamhook-attempt",
    String(msg.info.deliveryCount),
  ]);
  if (target.signer !== undefined) {
    headers.push("webhook-signature", target.signer.sign(id, timestamp, built.body));
  }
  const natsHeaders = msg.headers;
  if (natsHeaders !== undefined) {
    for (const name of TRACE_HEADERS) {
      const value = natsHeaders.get(name, Match.IgnoreCase);
      if (value !== "") headers.push(name, value);
    }
  }
  return { ok: true, id, headers, body: built.body };
}
