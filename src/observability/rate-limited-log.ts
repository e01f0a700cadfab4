import type { Logger } from "pino";

export interface RateLimitedLogOptions {
  readonly logger: Logger;
  readonly message: string;
  /** At most one line per this many milliseconds. Default 60 s. */
  readonly intervalMs?: number;
  /** Default `Date.now`; tests pass their own clock. */
  readonly now?: () => number;
}

/**
 * Logs an error that can repeat for every batch (a collector that is down), at warn level and at
 * most once per interval: the first at once, later ones with how many were left out since.
 */
export function rateLimitedLog(options: RateLimitedLogOptions): (error: unknown) => void {
  const { logger, message, intervalMs = 60_000, now = Date.now } = options;
  let lastLogged = -Infinity;
  let suppressed = 0;
  return (error) => {
    const at = now();
    if (at - lastLogged < intervalMs) {
      suppressed++;
      return;
    }
    logger.warn({ err: error, suppressed }, message);
    lastLogged = at;
    suppressed = 0;
  };
}
