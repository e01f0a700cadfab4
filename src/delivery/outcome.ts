/** What happened when the daemon tried to deliver one message. Every path of an attempt ends in one of these. */
export type DeliveryOutcome =
  | { readonly kind: "response"; readonly status: number; readonly retryAfter?: string | undefined }
  | { readonly kind: "timeout"; readonly error: string }
  | { readonly kind: "network_error"; readonly error: string }
  | { readonly kind: "malformed_payload"; readonly error: string }
  | { readonly kind: "host_not_allowed"; readonly error: string }
  /** Larger than `delivery.max_message_bytes`: never attempted. */
  | { readonly kind: "too_large"; readonly error: string }
  /** Raised before the request left the process: publisher bytes undici refused, or a bug. */
  | { readonly kind: "invalid_request"; readonly error: string };

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
    case "too_large":
    case "invalid_request":
      return false;
  }
}
