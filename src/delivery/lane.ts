import type { JsMsg } from "@nats-io/jetstream";
import type { Logger } from "pino";
import { createHeldMessages } from "../pipeline/held-messages.js";
import type { InboundMessage } from "../pipeline/inbound-message.js";
import { pulledMessage } from "../nats/pulled-message.js";
import type { AttemptTracer } from "./attempt-tracer.js";
import type { BreakerState, CircuitBreaker } from "./breaker.js";
import { decide, type Decision } from "./decision.js";
import { isRetryable, type DeliveryOutcome } from "./outcome.js";
import { createRateLimiter } from "./rate-limiter.js";
import { prepareRequest } from "./request.js";
import type { Settlement, SettleResult } from "./settlement.js";
import type { DeliveryTarget } from "./target.js";
import type { WebhookClient } from "./webhook-client.js";
import type { EventSink } from "../events/operator-event.js";
import { messageWebhookId } from "./webhook-id.js";

/** Counts attempts; every method must be cheap and never throw. */
export interface AttemptObserver {
  attempted(account: string, outcome: DeliveryOutcome, durationMs: number): void;
}

export interface LaneOptions {
  readonly target: DeliveryTarget;
  /** The account's breaker, keyed by origin; it outlives the lane. */
  readonly breaker: CircuitBreaker;
  readonly settlement: Settlement;
  /** The consumer's `ack_wait`: held messages signal progress well within it. */
  readonly ackWaitMs: number;
  /** Sends the acks waiting for the end of the event-loop turn; see AckBatcher. */
  readonly flushAcks: () => void;
  /**
   * Tells the delivery worker to look at the queue again: called when the rate limit, which made
   * `canStart` say no, has a token again.
   */
  readonly wake: () => void;
  readonly logger: Logger;
  readonly observer?: AttemptObserver | undefined;
  /** Operator events: the breaker opening and closing. */
  readonly events?: EventSink | undefined;
  /** Set only while tracing is on. */
  readonly tracer?: AttemptTracer | undefined;
}

/** How an attempt was decided: its webhook-id, its decision and the outcome behind it. */
interface Attempted {
  readonly id: string;
  readonly decision: Decision;
  /** Undefined when no request was made: the breaker opened since the message was taken. */
  readonly outcome?: DeliveryOutcome;
}

/**
 * One account session's share of the delivery path: its target, its in-flight count and limit,
 * its breaker, the messages it holds and their settlement. The delivery worker only picks which
 * lane goes next; everything that happens to a message of this account happens here, so one
 * account's state never leaks into another's.
 */
export interface Lane {
  readonly account: string;
  readonly target: DeliveryTarget;
  /** Requests in flight. */
  readonly inflight: number;
  /** Messages held: queued or in flight, each getting progress signals until it is settled. */
  readonly held: number;
  /** Takes a pulled message into the lane's care. */
  admit(msg: JsMsg): InboundMessage;
  /** Whether one more request may start now: the account's limits, its breaker, its rate. */
  canStart(): boolean;
  /** One attempt from request to settlement. Never rejects. */
  deliver(item: InboundMessage, client: WebhookClient): Promise<void>;
  /** Gives an admitted message that was never attempted back to the broker. */
  handBack(item: InboundMessage, delayMs?: number): void;
  /** Resolves once nothing is in flight and the acks are on their way. */
  idle(): Promise<void>;
  /** Stops the progress signals; whatever is still held comes back after `ack_wait`. */
  close(): void;
  /**
   * Aborted, with the reason as a string, once the receiver answered 410 Gone: the session then
   * stops pulling and gives back what it holds, and the account stays disabled (SPEC section 13).
   */
  readonly disabled: AbortSignal;
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

export function createLane(options: LaneOptions): Lane {
  const { target, breaker, settlement, observer, tracer } = options;
  const { account, origin, policy } = target;
  const log = options.logger;
  const held = createHeldMessages(options.ackWaitMs);
  let inflight = 0;
  let idleWaiters: (() => void)[] = [];
  const disabling = new AbortController();
  const limiter = target.rateLimit > 0 ? createRateLimiter(target.rateLimit) : undefined;
  /** Set while the worker waits for this lane's next token. */
  let wakeTimer: NodeJS.Timeout | undefined;

  /** Whether the rate limit lets one more request start; if not, the worker is woken later. */
  function paced(): boolean {
    if (limiter === undefined || limiter.ready()) return true;
    wakeTimer ??= setTimeout(() => {
      wakeTimer = undefined;
      options.wake();
    }, limiter.waitMs());
    return false;
  }

  /** Everything between taking a message and its decision: the request, the breaker, decide(). */
  async function attempt(
    item: InboundMessage,
    client: WebhookClient,
    trace: readonly string[] | undefined,
  ): Promise<Attempted> {
    const { pulled } = item;
    if (pulled.data.length > target.maxMessageBytes) {
      const error = `${pulled.data.length} bytes, over delivery.max_message_bytes (${target.maxMessageBytes})`;
      const outcome: DeliveryOutcome = { kind: "too_large", error };
      const decision = decide(policy, { outcome, attempt: pulled.deliveryCount });
      return { id: messageWebhookId(target, pulled), decision, outcome };
    }
    const prepared = prepareRequest(target, pulled, Date.now(), trace);
    const { id } = prepared;
    let outcome: DeliveryOutcome;
    if (!prepared.ok) {
      outcome = { kind: "malformed_payload", error: prepared.error };
    } else if (!target.hostAllowed) {
      outcome = {
        kind: "host_not_allowed",
        error: `host ${target.url.hostname} is not in allowed_hosts`,
      };
    } else if (!breaker.allows(origin, true)) {
      // Reached before any await, so only one message can become a half-open breaker's probe.
      // Otherwise the breaker opened since this was taken: give it back until the probe decides.
      const delayMs = Math.max(1_000, breaker.remainingMs(origin));
      return { id, decision: { action: "nak", delayMs } };
    } else {
      const started = performance.now();
      outcome = await client.post({
        url: target.url,
        headers: prepared.headers,
        body: prepared.body,
        timeoutMs: target.timeoutMs,
        maxConnections: target.maxConnections,
      });
      if (outcome.kind === "invalid_request") {
        // Refused before it left: not an attempt the receiver saw, so no breaker hears of it.
        breaker.abandon(origin);
      } else {
        observer?.attempted(account, outcome, performance.now() - started);
        const before = breaker.state(origin);
        breaker.record(origin, !isRetryable(outcome, policy.terminalStatuses));
        const after = breaker.state(origin);
        if (after !== before) {
          const level = after === "open" ? "warn" : "info";
          log[level]({ origin, breaker: after }, `circuit breaker ${after}`);
          announceBreaker(before, after);
        }
      }
    }
    const attempt = pulled.deliveryCount;
    const decision = decide(
      policy,
      breaker.state(origin) === "closed"
        ? { outcome, attempt }
        : { outcome, attempt, outageMs: breaker.remainingMs(origin) },
    );
    if (decision.action === "nak") {
      log.debug(
        {
          sequence: pulled.seq,
          attempt: pulled.deliveryCount,
          delay_ms: decision.delayMs,
          outcome,
        },
        "delivery failed, will retry",
      );
    }
    return { id, decision, outcome };
  }

  /**
   * An outage is one `breaker.opened` and one `breaker.closed`: a failed probe opens the breaker
   * again, for longer, and that is not news to an operator who heard it open.
   */
  function announceBreaker(before: BreakerState, after: BreakerState): void {
    if (before === "closed" && after === "open") {
      options.events?.emit("breaker.opened", target, {
        origin,
        cooldown_ms: breaker.remainingMs(origin),
      });
    } else if (after === "closed") {
      options.events?.emit("breaker.closed", target, { origin });
    }
  }

  function finished(item: InboundMessage): void {
    held.release(item.heldSlot, item.msg);
    inflight--;
    if (inflight === 0 && idleWaiters.length > 0) {
      // The account's connection closes next: its acks must be on their way first.
      options.flushAcks();
      const waiters = idleWaiters;
      idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  const lane: Lane = {
    account,
    target,
    get inflight() {
      return inflight;
    },
    get held() {
      return held.size;
    },
    admit(msg) {
      return {
        lane,
        msg,
        pulled: pulledMessage(msg),
        receivedAt: Date.now(),
        heldSlot: held.hold(msg),
      };
    },
    canStart() {
      // Once disabled, what is still queued goes back to the broker instead.
      if (disabling.signal.aborted) return false;
      return inflight < target.accountConcurrency && breaker.allows(origin) && paced();
    },
    async deliver(item, client) {
      inflight++;
      limiter?.take();
      const { msg, pulled } = item;
      const span = tracer?.start(target, pulled);
      let attempted: Attempted | undefined;
      let result: SettleResult | undefined;
      try {
        try {
          attempted = await attempt(item, client, span?.headers);
        } catch (error) {
          // A bug, not the receiver's doing: decided like an error before the request left, so
          // it is dead-lettered rather than retried forever.
          log.error({ err: error, sequence: pulled.seq }, "delivery failed unexpectedly");
          const outcome: DeliveryOutcome = { kind: "invalid_request", error: describe(error) };
          const decision = decide(policy, { outcome, attempt: pulled.deliveryCount });
          attempted = { id: messageWebhookId(target, pulled), decision, outcome };
        }
        const settling = settlement.settle(msg, pulled, attempted.id, attempted.decision);
        result = typeof settling === "string" ? settling : await settling;
        if (attempted.decision.action === "disable" && !disabling.signal.aborted) {
          disabling.abort(`the receiver answered ${attempted.decision.status} Gone to ${origin}`);
        }
      } catch (error) {
        log.error({ err: error, sequence: pulled.seq }, "settling a delivery failed unexpectedly");
        settlement.handBack(msg, 1_000);
      } finally {
        if (span !== undefined && attempted !== undefined) {
          span.end({ outcome: attempted.outcome, decision: attempted.decision, settled: result });
        }
        finished(item);
      }
    },
    handBack(item, delayMs) {
      held.release(item.heldSlot, item.msg);
      settlement.handBack(item.msg, delayMs);
    },
    idle() {
      if (inflight === 0) {
        // Acks of the last deliveries may still wait for the end of this turn, and the
        // account's connection starts draining right after this.
        options.flushAcks();
        return Promise.resolve();
      }
      return new Promise((resolve) => {
        idleWaiters.push(resolve);
      });
    },
    disabled: disabling.signal,
    close() {
      clearTimeout(wakeTimer);
      wakeTimer = undefined;
      held.close();
    },
  };
  return lane;
}
