// The demo's time budget: every step that waits on something runs within one overall deadline,
// and Ctrl-C interrupts the wait instead of the process, so the clean-up still runs.
import { setTimeout as delay } from "node:timers/promises";

/** Why the demo stopped before its end; `exitCode` is what the command exits with. */
export class DemoStopped extends Error {
  override readonly name = "DemoStopped";
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

export class Budget {
  private readonly deadline: number;

  constructor(
    readonly totalMs: number,
    private readonly signal: AbortSignal,
  ) {
    this.deadline = Date.now() + totalMs;
  }

  /** `work`'s result, or a DemoStopped naming `what` at the deadline or on an interruption. */
  async within<T>(what: string, work: Promise<T>): Promise<T> {
    // A step abandoned at the deadline may still fail later; that is no longer news.
    work.catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    const stop = new Promise<never>((_, reject) => {
      const fail = (): void => {
        reject(this.stopped(what));
      };
      if (this.signal.aborted) {
        fail();
        return;
      }
      onAbort = fail;
      this.signal.addEventListener("abort", onAbort, { once: true });
      timer = setTimeout(fail, Math.max(0, this.deadline - Date.now()));
    });
    try {
      return await Promise.race([work, stop]);
    } finally {
      clearTimeout(timer);
      if (onAbort !== undefined) this.signal.removeEventListener("abort", onAbort);
    }
  }

  /** Polls `condition` until it holds, within the budget. */
  async until(what: string, condition: () => Promise<boolean>, intervalMs = 50): Promise<void> {
    for (;;) {
      if (await this.within(what, condition())) return;
      await this.within(what, delay(intervalMs));
    }
  }

  private stopped(what: string): DemoStopped {
    if (this.signal.aborted) return new DemoStopped(`interrupted while ${what}`, 130);
    return new DemoStopped(`timed out after ${this.totalMs / 1000} s while ${what}`, 1);
  }
}
