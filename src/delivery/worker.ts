import type { Logger } from "pino";
import type { FairQueue } from "../pipeline/fair-queue.js";
import type { InboundMessage } from "../pipeline/inbound-message.js";
import { createAckBatcher } from "./ack-batcher.js";
import type { CircuitBreaker } from "./breaker.js";
import { decide, type Decision } from "./decision.js";
import { isRetryable, type DeliveryOutcome } from "./outcome.js";
import { prepareRequest } from "./request.js";
import { settle, type Settlement } from "./settle.js";
import type { WebhookClient } from "./webhook-client.js";

/** Hooks for metrics; every method is optional and must not throw. */
export interface DeliveryObserver {
  attempted?(item: InboundMessage, outcome: DeliveryOutcome, durationMs: number): void;
  settled?(item: InboundMessage, decision: Decision, settlement: Settlement): void;
}

export interface DeliveryWorkerOptions {
  readonly queue: FairQueue<InboundMessage>;
  readonly client: WebhookClient;
  /** Requests in flight across all accounts. */
  readonly concurrency: number;
  readonly logger: Logger;
  readonly breaker: CircuitBreaker;
  readonly observer?: DeliveryObserver;
}

export interface DeliveryWorker {
  /**
   * Drains the queue until it is closed, or `intake` aborts, then waits for the deliveries in
   * flight. `abort` cancels in-flight requests (their messages are nak'd, never lost).
   */
  run(intake: AbortSignal, abort: AbortSignal): Promise<void>;
  readonly inflight: number;
  /** Requests in flight for one account. */
  inflightOf(account: string): number;
  /**
   * Resolves once `account` has no delivery in flight and the acks waiting are sent, so its
   * connection can close without losing acks.
   */
  idle(account: string): Promise<void>;
  /** Drops what is kept about an account that was removed; it must be idle. */
  forget(account: string): void;
}

export function createDeliveryWorker(options: DeliveryWorkerOptions): DeliveryWorker {
  const { queue, client, concurrency, logger, observer, breaker } = options;
  /** The target of each account's latest message: its in-flight limit and its origin. */
  const targets = new Map<string, InboundMessage["target"]>();
  // One child logger per account, not one per message: this is the hot path.
  const loggers = new Map<string, Logger>();
  const loggerFor = (account: string): Logger => {
    let child = loggers.get(account);
    if (child === undefined) {
      child = logger.child({ account });
      loggers.set(account, child);
    }
    return child;
  };
  const inflightByAccount = new Map<string, number>();
  const idleWaiters = new Map<string, (() => void)[]>();
  const acks = createAckBatcher();
  let inflight = 0;
  /** Set while `run` waits for the last deliveries to finish. */
  let drained: (() => void) | undefined;

  // Messages of an account whose receiver's breaker is open stay in the queue, held with
  // progress signals, instead of being attempted and nak'd over and over.
  const eligible = (account: string): boolean => {
    const target = targets.get(account);
    if (target === undefined) return true;
    if ((inflightByAccount.get(account) ?? 0) >= target.accountConcurrency) return false;
    return breaker.allows(target.origin);
  };

  function track(account: string, delta: number): void {
    const next = (inflightByAccount.get(account) ?? 0) + delta;
    if (next === 0) {
      inflightByAccount.delete(account);
      const waiters = idleWaiters.get(account);
      if (waiters !== undefined) {
        // The account's connection closes next: its acks must be on their way first.
        acks.flush();
        idleWaiters.delete(account);
        for (const resolve of waiters) resolve();
      }
    } else {
      inflightByAccount.set(account, next);
    }
    inflight += delta;
    if (inflight === 0) drained?.();
  }

  async function deliver(item: InboundMessage): Promise<void> {
    const { target, msg } = item;
    const log = loggerFor(target.account);
    const prepared = prepareRequest(target, msg);
    let outcome: DeliveryOutcome;
    if (!prepared.ok) {
      outcome = { kind: "malformed_payload", error: prepared.error };
    } else if (!target.hostAllowed) {
      outcome = {
        kind: "host_not_allowed",
        error: `host ${target.url.hostname} is not in allowed_hosts`,
      };
    } else if (!breaker.allows(target.origin, true)) {
      // Reached before any await, so only one message can become a half-open breaker's probe.
      // Otherwise the breaker opened since this was taken: give it back until the probe decides.
      item.msg.nak(Math.max(1_000, breaker.remainingMs(target.origin)));
      return;
    } else {
      const started = performance.now();
      outcome = await client.post({
        url: target.url,
        headers: prepared.headers,
        body: prepared.body,
        timeoutMs: target.timeoutMs,
        maxConnections: target.maxConnections,
      });
      observer?.attempted?.(item, outcome, performance.now() - started);
      const before = breaker.state(target.origin);
      breaker.record(target.origin, !isRetryable(outcome, target.policy.terminalStatuses));
      const after = breaker.state(target.origin);
      if (after !== before) {
        const level = after === "open" ? "warn" : "info";
        log[level]({ origin: target.origin, breaker: after }, `circuit breaker ${after}`);
      }
    }
    const { origin } = target;
    const decision = decide(target.policy, {
      outcome,
      attempt: msg.info.deliveryCount,
      ...(breaker.state(origin) !== "closed" && { outageMs: breaker.remainingMs(origin) }),
    });
    const settlement = await settle(
      {
        target,
        msg,
        id: prepared.id,
        publishDeadLetter: item.publishDeadLetter,
        logger: log,
        ack: acks.ack,
        termWithReason: item.termWithReason,
      },
      decision,
    );
    if (decision.action === "nak") {
      log.debug(
        { sequence: msg.seq, attempt: msg.info.deliveryCount, delay_ms: decision.delayMs, outcome },
        "delivery failed, will retry",
      );
    }
    observer?.settled?.(item, decision, settlement);
  }

  return {
    get inflight() {
      return inflight;
    },
    inflightOf(account) {
      return inflightByAccount.get(account) ?? 0;
    },
    forget(account) {
      if (inflightByAccount.has(account)) return;
      targets.delete(account);
      loggers.delete(account);
    },
    idle(account) {
      if (!inflightByAccount.has(account)) {
        // Acks of the last deliveries may still wait for the end of this turn, and the
        // account's connection starts draining before that.
        acks.flush();
        return Promise.resolve();
      }
      return new Promise((resolve) => {
        const waiters = idleWaiters.get(account) ?? [];
        waiters.push(resolve);
        idleWaiters.set(account, waiters);
      });
    },
    async run(intake, abort) {
      const cancel = (): void => {
        client.destroy().catch((error: unknown) => {
          logger.warn({ err: error }, "cancelling in-flight requests failed");
        });
      };
      abort.addEventListener("abort", cancel, { once: true });
      const stopTaking = (): void => {
        queue.wake();
      };
      intake.addEventListener("abort", stopTaking, { once: true });
      /** One delivery from start to release; never rejects. */
      const attempt = async (item: InboundMessage): Promise<void> => {
        const account = item.target.account;
        try {
          await deliver(item);
        } catch (error) {
          // A bug or a broken connection must not take the loop down, nor lose the message.
          logger.error(
            { account, err: error, sequence: item.msg.seq },
            "delivery failed unexpectedly",
          );
          try {
            item.msg.nak(1_000);
          } catch {
            // The connection is gone: JetStream redelivers after ack_wait.
          }
        } finally {
          item.release();
          track(account, -1);
          queue.wake();
        }
      };
      const start = (item: InboundMessage): void => {
        const account = item.target.account;
        if (targets.get(account) !== item.target) targets.set(account, item.target);
        track(account, 1);
        // Never rejects, and is waited for through the in-flight count, not kept in a set.
        void attempt(item);
      };

      while (!intake.aborted && !queue.closed) {
        // Every finished delivery wakes the queue, so waiting on it covers a freed slot too.
        const next = inflight < concurrency ? queue.tryTake(eligible) : undefined;
        if (next === undefined) {
          await queue.changed();
          continue;
        }
        start(next.item);
      }
      if (inflight > 0) {
        await new Promise<void>((resolve) => {
          drained = resolve;
        });
        drained = undefined;
      }
      abort.removeEventListener("abort", cancel);
      intake.removeEventListener("abort", stopTaking);
      acks.flush();
    },
  };
}
