import { sleep } from "../accounts/retry.js";
import { backoffDelay } from "../delivery/backoff.js";
import type { DeliveryOutcome } from "../delivery/outcome.js";
import type { Signer } from "../delivery/signing.js";
import type { WebhookClient } from "../delivery/webhook-client.js";
import type { EncodedEvent } from "./operator-event.js";

export interface EventSenderOptions {
  readonly client: WebhookClient;
  readonly url: URL;
  /** Undefined: no `webhook-signature` header, as for webhooks without a secret. */
  readonly signer: Signer | undefined;
  /** One attempt's deadline (`events.timeout`). */
  readonly timeoutMs: number;
  readonly userAgent: string;
  /** Default 3: an event is about now, and the queue behind it waits. */
  readonly maxAttempts?: number;
  /** Delays between attempts; the last repeats. Default 500 ms, then 2 s. */
  readonly backoffMs?: readonly number[];
}

/** One connection is plenty for events sent one at a time. */
const CONNECTIONS = 1;

/**
 * Whether another attempt could fare better: a timeout, a lost connection, 408, 429 or a server
 * error. Any other answer (a redirect, which is never followed, or a 4xx) would be the same again.
 */
function worthRetrying(outcome: DeliveryOutcome): boolean {
  switch (outcome.kind) {
    case "response":
      return outcome.status === 408 || outcome.status === 429 || outcome.status >= 500;
    case "timeout":
    case "network_error":
      return true;
    default:
      return false;
  }
}

const accepted = (outcome: DeliveryOutcome): boolean =>
  outcome.kind === "response" && outcome.status >= 200 && outcome.status < 300;

/**
 * Posts one event, signed afresh at every attempt (the timestamp is the attempt's, as for
 * webhooks), retrying a few times. Resolves true once the receiver accepted it, false when it
 * did not or `signal` aborted; never throws.
 */
export async function sendEvent(
  event: EncodedEvent,
  options: EventSenderOptions,
  signal: AbortSignal,
): Promise<{ readonly sent: boolean; readonly outcome: DeliveryOutcome | undefined }> {
  const maxAttempts = options.maxAttempts ?? 3;
  const backoffMs = options.backoffMs ?? [500, 2_000];
  // A function, not the property, because TypeScript narrows `signal.aborted` across awaits.
  const stopped = (): boolean => signal.aborted;
  let outcome: DeliveryOutcome | undefined;
  for (let attempt = 1; attempt <= maxAttempts && !stopped(); attempt++) {
    if (attempt > 1) await sleep(backoffDelay(attempt - 1, backoffMs), signal);
    if (stopped()) break;
    const timestamp = Math.floor(Date.now() / 1000);
    const headers = [
      "content-type",
      "application/json",
      "user-agent",
      options.userAgent,
      "webhook-id",
      event.id,
      "webhook-timestamp",
      String(timestamp),
    ];
    if (options.signer !== undefined) {
      headers.push("webhook-signature", options.signer.sign(event.id, timestamp, event.body));
    }
    outcome = await options.client.post({
      url: options.url,
      headers,
      body: event.body,
      timeoutMs: options.timeoutMs,
      maxConnections: CONNECTIONS,
    });
    if (accepted(outcome)) return { sent: true, outcome };
    if (!worthRetrying(outcome)) break;
  }
  return { sent: false, outcome };
}
