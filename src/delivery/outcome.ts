/** What happened when the daemon tried to deliver one message. Every path of an attempt ends in one of these. */
export type DeliveryOutcome =
  | { readonly kind: "response"; readonly status: number; readonly retryAfter?: string | undefined }
  | { readonly kind: "timeout"; readonly error: string }
  | { readonly kind: "network_error"; readonly error: string }
  | { readonly kind: "malformed_payload"; readonly error: string }
  | { readonly kind: "host_not_allowed"; readonly error: string };

/** The `result` label of `streamhook_delivery_attempts_total`. */
export type AttemptResult = "success" | "http_error" | "timeout" | "network_error";

/** Outcomes that never reached the receiver have no attempt result. */
export function attemptResult(outcome: DeliveryOutcome): AttemptResult | undefined {
  switch (outcome.kind) {
    case "response":
      return outcome.status >= 200 && outcome.status < 300 ? "success" : "http_error";
    case "timeout":
      return "timeout";
    case "network_error":
      return "network_error";
    case "malformed_payload":
    case "host_not_allowed":
      return undefined;
  }
}

/**
 * Whether an outcome says the receiver is not accepting requests right now: what counts towards
 * opening its circuit breaker. A terminal status is a clear answer from a working receiver.
 */
export function isRetryable(
  outcome: DeliveryOutcome,
  terminalStatuses: ReadonlySet<number>,
): boolean {
  switch (outcome.kind) {
    case "response":
      return (
        !(outcome.status >= 200 && outcome.status < 300) && !terminalStatuses.has(outcome.status)
      );
    case "timeout":
    case "network_error":
      return true;
    case "malformed_payload":
    case "host_not_allowed":
      return false;
  }
}
