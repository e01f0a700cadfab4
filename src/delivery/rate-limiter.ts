/**
 * `webhook.rate_limit` as a token bucket: `perSecond` tokens a second, and at most one second's
 * worth saved up, so a receiver back from an outage gets a burst of that size and then the steady
 * rate, never the whole backlog at once.
 */
export interface RateLimiter {
  /** Whether a request may start now; takes nothing. */
  ready(): boolean;
  /** Takes a token for a request that starts now (it may go below zero; the wait then grows). */
  take(): void;
  /** Milliseconds until a token is there, 0 when one is. */
  waitMs(): number;
}

export function createRateLimiter(
  perSecond: number,
  now: () => number = () => performance.now(),
): RateLimiter {
  const capacity = perSecond;
  let tokens = capacity;
  let at = now();
  const refill = (): void => {
    const t = now();
    tokens = Math.min(capacity, tokens + ((t - at) * perSecond) / 1000);
    at = t;
  };
  return {
    ready() {
      refill();
      return tokens >= 1;
    },
    take() {
      refill();
      tokens -= 1;
    },
    waitMs() {
      refill();
      return tokens >= 1 ? 0 : Math.ceil(((1 - tokens) * 1000) / perSecond);
    },
  };
}
