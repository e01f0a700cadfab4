/** A source of randomness in [0, 1): injected so that tests can pin jitter down. */
export type Random = () => number;

/** Fraction of the delay that jitter may take away, so that a burst of failures does not retry in lockstep. */
export const DEFAULT_JITTER = 0.2;

/**
 * The nak delay for a failed attempt. `attempt` is the JetStream delivery count (1 for the first
 * delivery); the last entry of `schedule` repeats for every attempt past the end of the list.
 * Jitter only shortens the delay, so the configured value stays an upper bound an operator can
 * reason about.
 */
export function backoffDelay(
  attempt: number,
  schedule: readonly number[],
  random: Random = Math.random,
  jitter: number = DEFAULT_JITTER,
): number {
  if (schedule.length === 0) return 0;
  const index = Math.min(Math.max(attempt, 1), schedule.length) - 1;
  const base = schedule[index] ?? 0;
  return Math.round(base * (1 - jitter * random()));
}

/**
 * Parses a `Retry-After` header: delta seconds or an HTTP date. Returns milliseconds from `now`, or
 * undefined when the header is absent or unusable (a date in the past counts as zero).
 */
export function parseRetryAfter(
  value: string | undefined,
  now: number = Date.now(),
): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (trimmed === "") return undefined;
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  // HTTP dates always name a weekday and a month; this keeps "-1" from parsing as year -1.
  if (!/[a-z]/i.test(trimmed)) return undefined;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}
