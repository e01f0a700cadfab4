import type { PulledMessage } from "../nats/pulled-message.js";
import type { Decision } from "./decision.js";
import type { DeliveryOutcome } from "./outcome.js";
import type { SettleResult } from "./settlement.js";
import type { DeliveryTarget } from "./target.js";

/**
 * Traces delivery attempts (SPEC section 14). The lane holds one only while tracing is on, so with
 * it off an attempt pays one `undefined` check; the OpenTelemetry side is in
 * observability/attempt-spans.ts.
 */
export interface AttemptTracer {
  /** Starts the span of one attempt of `msg`, under the trace its `traceparent` names. */
  start(
    target: DeliveryTarget,
    msg: Pick<PulledMessage, "subject" | "seq" | "headers" | "deliveryCount">,
  ): AttemptSpan;
}

/** What decided an attempt, as the span records it. */
export interface AttemptReport {
  /** What the receiver or the client said; undefined when no request was made (breaker open). */
  readonly outcome: DeliveryOutcome | undefined;
  readonly decision: Decision;
  /** What settlement did; undefined when settling failed and the message went back to the broker. */
  readonly settled: SettleResult | undefined;
}

export interface AttemptSpan {
  /**
   * The trace headers the request carries instead of the message's, as undici's flat
   * `[name, value, ...]` pairs: a `traceparent` naming this span, and the `tracestate` passed on.
   */
  readonly headers: readonly string[];
  /** Ends the span. Never throws. */
  end(report: AttemptReport): void;
}
