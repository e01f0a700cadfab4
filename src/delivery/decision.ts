import { backoffDelay, parseRetryAfter, type Random } from "./backoff.js";
import type { DeliveryOutcome } from "./outcome.js";

export const DEAD_LETTER_REASONS = [
  "terminal_status",
  "malformed_payload",
  "host_not_allowed",
  "invalid_request",
  "too_large",
  "max_attempts",
] as const;

export type DeadLetterReason = (typeof DEAD_LETTER_REASONS)[number];

/** What a receiver that answers this asks for: no more deliveries (Standard Webhooks). */
export const GONE = 410;

export type Decision =
  | { readonly action: "ack" }
  | { readonly action: "nak"; readonly delayMs: number }
  /**
   * The receiver answered 410 Gone: the message is kept (nak'd) and the account's endpoint is
   * disabled until its configuration changes or the daemon restarts.
   */
  | { readonly action: "disable"; readonly delayMs: number; readonly status: number }
  | {
      readonly action: "dead_letter";
      readonly reason: DeadLetterReason;
      readonly status?: number;
      readonly error?: string;
    };

export interface DecisionPolicy {
  readonly maxAttempts: number;
  readonly backoffMs: readonly number[];
  readonly maxRetryAfterMs: number;
  readonly terminalStatuses: ReadonlySet<number>;
  /**
   * The consumer's own `max_deliver` (0 or negative: unlimited). A nak on the last delivery the
   * server allows would drop the message silently, so that attempt dead-letters instead.
   */
  readonly maxDeliver: number;
}

export interface DecisionInput {
  readonly outcome: DeliveryOutcome;
  /** The JetStream delivery count: 1 on the first delivery. */
  readonly attempt: number;
  readonly now?: number;
  readonly random?: Random;
  /**
   * Set while the receiver's circuit breaker is open: the milliseconds until it is probed again.
   * An outage is nobody's fault but the receiver's, so it never spends a message's last attempt.
   */
  readonly outageMs?: number;
}

/**
 * The single place that maps a delivery outcome to what happens to the message. Keeping it pure
 * and total means every outcome has a tested answer, and no call site invents its own.
 */
export function decide(policy: DecisionPolicy, input: DecisionInput): Decision {
  const { outcome } = input;
  switch (outcome.kind) {
    case "malformed_payload":
    case "host_not_allowed":
    case "invalid_request":
    case "too_large":
      return { action: "dead_letter", reason: outcome.kind, error: outcome.error };
    case "response": {
      const { status } = outcome;
      if (status >= 200 && status < 300) return { action: "ack" };
      if (policy.terminalStatuses.has(status)) {
        return { action: "dead_letter", reason: "terminal_status", status };
      }
      if (status === GONE) {
        return { action: "disable", delayMs: retryDelay(policy, input), status };
      }
      return retryOrGiveUp(policy, input, { status }, outcome.retryAfter);
    }
    case "timeout":
    case "network_error":
      return retryOrGiveUp(policy, input, { error: outcome.error }, undefined);
  }
}

function retryOrGiveUp(
  policy: DecisionPolicy,
  input: DecisionInput,
  last: { status?: number; error?: string },
  retryAfter: string | undefined,
): Decision {
  const outage = input.outageMs !== undefined;
  const serverLimit = policy.maxDeliver > 0 && input.attempt >= policy.maxDeliver;
  if (isLastAttempt(policy, input.attempt) && (!outage || serverLimit)) {
    return { action: "dead_letter", reason: "max_attempts", ...last };
  }
  const delayMs = retryDelay(policy, input, retryAfter);
  return { action: "nak", delayMs: Math.max(delayMs, input.outageMs ?? 0) };
}

export function isLastAttempt(policy: DecisionPolicy, attempt: number): boolean {
  if (attempt >= policy.maxAttempts) return true;
  return policy.maxDeliver > 0 && attempt >= policy.maxDeliver;
}

/** The backoff for this attempt, or the receiver's `Retry-After` when it asks for longer (capped). */
export function retryDelay(
  policy: DecisionPolicy,
  input: Pick<DecisionInput, "attempt" | "now" | "random">,
  retryAfter?: string,
): number {
  const backoff = backoffDelay(input.attempt, policy.backoffMs, input.random);
  const asked = parseRetryAfter(retryAfter, input.now);
  if (asked === undefined) return backoff;
  return Math.max(backoff, Math.min(asked, policy.maxRetryAfterMs));
}
