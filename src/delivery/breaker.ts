export type BreakerState = "closed" | "open" | "half_open";

export interface BreakerOptions {
  /** Consecutive retryable failures that open the breaker; 0 turns it off. */
  readonly failureThreshold: number;
  readonly cooldownMs: number;
  readonly maxCooldownMs: number;
  /** Called when an origin may be tried again (its cooldown ended), so blocked work can resume. */
  readonly onReady?: (origin: string) => void;
  readonly now?: () => number;
}

export interface CircuitBreaker {
  state(origin: string): BreakerState;
  /**
   * Whether a request to `origin` may start now. At most one request (the probe) goes to a
   * half-open origin; it is counted as started when this returns true with `take`.
   */
  allows(origin: string, take?: boolean): boolean;
  /** Records a request's result: `true` the receiver is up, `false` a retryable failure. */
  record(origin: string, up: boolean): void;
  /**
   * A request that `allows(origin, true)` let start never reached the receiver (it was refused
   * before it left): it says nothing, and a half-open origin's probe slot is free again.
   */
  abandon(origin: string): void;
  /** Milliseconds until `origin` may be probed; 0 when closed. */
  remainingMs(origin: string): number;
  /** Resolves once `origin` is not open (closed, or ready for its probe), or `signal` aborts. */
  ready(origin: string, signal: AbortSignal): Promise<void>;
  /** Origins and their states, for metrics and status. */
  states(): Map<string, BreakerState>;
  close(): void;
}

interface Circuit {
  state: BreakerState;
  failures: number;
  cooldownMs: number;
  openUntil: number;
  probing: boolean;
  timer: NodeJS.Timeout | undefined;
}

/**
 * One circuit per webhook origin. After `failureThreshold` consecutive retryable failures no
 * request goes to the origin for the cooldown (doubling on each failed probe, up to the maximum),
 * then a single probe decides: success closes the circuit, failure opens it again. A receiver
 * that is down is thus asked once per cooldown instead of once per held message.
 */
export function createCircuitBreaker(options: BreakerOptions): CircuitBreaker {
  const circuits = new Map<string, Circuit>();
  const waiters = new Map<string, Set<() => void>>();

  function wakeWaiters(origin: string): void {
    const set = waiters.get(origin);
    waiters.delete(origin);
    for (const wake of set ?? []) wake();
  }
  const now = options.now ?? Date.now;
  const enabled = options.failureThreshold > 0;

  function circuit(origin: string): Circuit {
    let c = circuits.get(origin);
    if (c === undefined) {
      c = {
        state: "closed",
        failures: 0,
        cooldownMs: options.cooldownMs,
        openUntil: 0,
        probing: false,
        timer: undefined,
      };
      circuits.set(origin, c);
    }
    return c;
  }

  function open(origin: string, c: Circuit, cooldownMs: number): void {
    c.state = "open";
    c.cooldownMs = cooldownMs;
    c.openUntil = now() + cooldownMs;
    c.probing = false;
    clearTimeout(c.timer);
    c.timer = setTimeout(() => {
      // The timer, not the wall clock, ends the cooldown: a timer can fire a millisecond before
      // `Date.now()` reaches `openUntil`, and those it wakes then found the circuit still open,
      // with nothing left to wake them again.
      c.state = "half_open";
      wakeWaiters(origin);
      options.onReady?.(origin);
    }, cooldownMs);
    c.timer.unref();
  }

  function refresh(c: Circuit): void {
    if (c.state === "open" && now() >= c.openUntil) c.state = "half_open";
  }

  return {
    state(origin) {
      const c = circuits.get(origin);
      if (c === undefined) return "closed";
      refresh(c);
      return c.state;
    },
    allows(origin, take = false) {
      if (!enabled) return true;
      // Asked before every request: an origin that never failed has no circuit to look at.
      const known = circuits.get(origin);
      if (known === undefined || known.state === "closed") return true;
      const c = known;
      refresh(c);
      if (c.state === "closed") return true;
      if (c.state === "open" || c.probing) return false;
      if (take) c.probing = true;
      return true;
    },
    record(origin, up) {
      if (!enabled) return;
      const c = circuit(origin);
      // Nearly every request succeeds against a closed circuit: nothing to change then.
      if (up && c.state === "closed" && c.failures === 0) return;
      refresh(c);
      if (up) {
        clearTimeout(c.timer);
        wakeWaiters(origin);
        circuits.set(origin, {
          ...c,
          state: "closed",
          failures: 0,
          cooldownMs: options.cooldownMs,
          probing: false,
          timer: undefined,
        });
        return;
      }
      c.failures++;
      if (c.state === "half_open" && c.probing) {
        open(origin, c, Math.min(c.cooldownMs * 2, options.maxCooldownMs));
      } else if (c.state === "closed" && c.failures >= options.failureThreshold) {
        open(origin, c, options.cooldownMs);
      }
    },
    abandon(origin) {
      const c = circuits.get(origin);
      if (c?.probing !== true) return;
      c.probing = false;
      options.onReady?.(origin);
    },
    remainingMs(origin) {
      const c = circuits.get(origin);
      if (c === undefined || c.state === "closed") return 0;
      return Math.max(0, c.openUntil - now());
    },
    ready(origin, signal) {
      const c = circuits.get(origin);
      if (c !== undefined) refresh(c);
      if (c?.state !== "open" || signal.aborted) return Promise.resolve();
      return new Promise((resolve) => {
        const done = (): void => {
          signal.removeEventListener("abort", done);
          waiters.get(origin)?.delete(done);
          resolve();
        };
        signal.addEventListener("abort", done, { once: true });
        const set = waiters.get(origin) ?? new Set();
        set.add(done);
        waiters.set(origin, set);
      });
    },
    states() {
      const out = new Map<string, BreakerState>();
      for (const [origin, c] of circuits) {
        refresh(c);
        out.set(origin, c.state);
      }
      return out;
    },
    close() {
      for (const c of circuits.values()) clearTimeout(c.timer);
      for (const origin of [...waiters.keys()]) wakeWaiters(origin);
    },
  };
}
