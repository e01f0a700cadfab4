/**
 * Turns at pulling a whole batch, for accounts that have a backlog.
 *
 * Every message pulled ahead waits in memory until a delivery slot takes it. When each of a
 * hundred accounts with a backlog keeps a batch in hand, most messages wait long enough to
 * survive two young-generation collections, and the collector copies and promotes every one of
 * them. Accounts whose last pull came back full therefore take turns: a few at a time pull a
 * whole batch and hand it to the queue, then let the next account have its turn. Only
 * accounts with a backlog wait for a turn; a quiet account's pull never does, so its messages
 * still go straight to the queue, where they are served first.
 *
 * A turn ends when its batch is in the queue, or after `maxTurnMs` at the latest: an account
 * whose messages wait on its own slow receiver, or whose pull waits for messages another
 * replica took, does not keep the others from pulling.
 */
export interface PullTurns {
  /**
   * Resolves with the function that ends the turn (calling it again does nothing) once it is
   * this caller's turn, or with `undefined` if `signal` aborts first.
   */
  take(signal: AbortSignal): Promise<(() => void) | undefined>;
  /** Turns being taken now; for tests. */
  readonly active: number;
  /** Callers waiting for a turn; for tests. */
  readonly waiting: number;
}

export interface PullTurnsOptions {
  /** Accounts that may hold a turn at once. */
  readonly turns: number;
  /** The longest a turn lasts before the next caller gets it. Default 1 s. */
  readonly maxTurnMs?: number;
}

const MAX_TURN_MS = 1_000;

export function createPullTurns(options: PullTurnsOptions): PullTurns {
  if (!Number.isInteger(options.turns) || options.turns < 1) {
    throw new RangeError("turns must be a positive integer");
  }
  const maxTurnMs = options.maxTurnMs ?? MAX_TURN_MS;
  let free = options.turns;
  // Each waiter's grant, in the order asked: a backlog waits at most one round of the others'
  // turns.
  const waiters = new Set<() => void>();

  const pass = (): void => {
    const next = waiters.values().next();
    if (next.done === true) {
      free++;
      return;
    }
    waiters.delete(next.value);
    next.value();
  };

  const begin = (): (() => void) => {
    let over = false;
    const end = (): void => {
      if (over) return;
      over = true;
      clearTimeout(timer);
      pass();
    };
    const timer = setTimeout(end, maxTurnMs);
    return end;
  };

  return {
    take(signal) {
      if (signal.aborted) return Promise.resolve(undefined);
      if (free > 0) {
        free--;
        return Promise.resolve(begin());
      }
      return new Promise((resolve) => {
        const grant = (): void => {
          signal.removeEventListener("abort", abandon);
          resolve(begin());
        };
        const abandon = (): void => {
          waiters.delete(grant);
          resolve(undefined);
        };
        waiters.add(grant);
        signal.addEventListener("abort", abandon, { once: true });
      });
    },
    get active() {
      return options.turns - free;
    },
    get waiting() {
      return waiters.size;
    },
  };
}
