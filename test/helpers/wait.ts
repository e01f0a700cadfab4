import { setTimeout as delay } from "node:timers/promises";

export interface WaitUntilOptions {
  /** Default 10 s. */
  readonly timeoutMs?: number;
  /** Default 25 ms. */
  readonly intervalMs?: number;
  /** What is awaited, for the timeout error. */
  readonly message?: string;
}

const describe = (error: unknown): string =>
  error instanceof Error ? error.message : JSON.stringify(error);

/**
 * Polls `condition` until it returns true; throws with `message` after `timeoutMs`. A condition
 * that throws counts as not yet true (e.g. a consumer not created yet); the last error is reported
 * as the timeout error's cause.
 */
export async function waitUntil(
  condition: () => boolean | Promise<boolean>,
  options: WaitUntilOptions = {},
): Promise<void> {
  const { timeoutMs = 10_000, intervalMs = 25, message = "condition" } = options;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      if (await condition()) return;
    } catch (error) {
      lastError = error;
    }
    const remaining = deadline - Date.now();
    if (remaining <= 0) {
      const detail = lastError === undefined ? "" : ` (last error: ${describe(lastError)})`;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${message}${detail}`, {
        cause: lastError,
      });
    }
    await delay(Math.min(intervalMs, remaining));
  }
}
