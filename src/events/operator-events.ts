import type { Logger } from "pino";
import { createSigner } from "../delivery/signing.js";
import type { NetworkPolicy } from "../delivery/network-policy.js";
import { createWebhookClient } from "../delivery/webhook-client.js";
import { DeadLetterWindows } from "./dead-letter-windows.js";
import { EventQueue } from "./event-queue.js";
import { sendEvent, type EventSenderOptions } from "./event-sender.js";
import {
  encodeEvent,
  NO_EVENTS,
  type EncodedEvent,
  type EventSink,
  type EventType,
} from "./operator-event.js";

/** Why an event was not sent: pushed out of the full queue (or left at shutdown), or refused. */
export type EventFailure = "dropped" | "failed";

/** Counts the events that could not be sent; every method must be cheap and never throw. */
export interface EventsObserver {
  eventFailed(type: EventType, reason: EventFailure): void;
}

export interface OperatorEventsOptions {
  /** `events.url`; undefined turns events off. */
  readonly url: string | undefined;
  /** Undefined: events are not signed. */
  readonly secret: string | undefined;
  readonly previousSecret: string | undefined;
  /** One attempt's deadline (`events.timeout`). */
  readonly timeoutMs: number;
  readonly userAgent: string;
  readonly logger: Logger;
  readonly observer?: EventsObserver | undefined;
  /** At most one `message.dead_lettered` per account per this long. Default 10 s (SPEC section 13). */
  readonly deadLetterWindowMs?: number;
  /** Events waiting to be sent. Default 1000. */
  readonly queueCapacity?: number;
  /** Their body bytes. Default 1 MiB: a thousand events of a reason's full length. */
  readonly queueBytes?: number;
  /** Attempts per event and the delays between them; see EventSenderOptions. */
  readonly retry?: Pick<EventSenderOptions, "maxAttempts" | "backoffMs">;
}

export interface OperatorEvents {
  readonly sink: EventSink;
  /**
   * Ends the open dead-letter windows, sends what is queued for at most `timeoutMs`, then stops
   * and counts what is left as dropped. Idempotent: later calls return the first call's promise.
   */
  close(timeoutMs: number): Promise<void>;
}

/**
 * The events URL is the operator's own, from the daemon's configuration, which no account can
 * set: the network policy that keeps tenants' webhooks off internal addresses (SPEC section 11)
 * would only refuse the in-cluster or loopback collector such an endpoint usually is.
 */
const ANY_ADDRESS: NetworkPolicy = { check: () => ({ allowed: true }) };

/**
 * Operator events (SPEC section 13): a sink the daemon's parts report to, a bounded queue, and
 * one loop that sends the queued events one at a time, in order, with a client of its own. A
 * dead or slow events receiver fills and overflows the queue, and nothing else: no delivery
 * waits for an event, and no event request holds a connection of the webhook pools.
 */
export function createOperatorEvents(options: OperatorEventsOptions): OperatorEvents {
  if (options.url === undefined) return { sink: NO_EVENTS, close: () => Promise.resolve() };
  const log = options.logger.child({ component: "events" });
  const { observer } = options;
  const queue = new EventQueue({
    capacity: options.queueCapacity ?? 1_000,
    capacityBytes: options.queueBytes ?? 1024 * 1024,
  });
  const windows = new DeadLetterWindows(options.deadLetterWindowMs ?? 10_000);
  const windowTimers = new Set<NodeJS.Timeout>();
  const client = createWebhookClient({ networkPolicy: ANY_ADDRESS });
  const sender: EventSenderOptions = {
    client,
    url: new URL(options.url),
    signer:
      options.secret === undefined
        ? undefined
        : createSigner(options.secret, options.previousSecret),
    timeoutMs: options.timeoutMs,
    userAgent: options.userAgent,
    ...options.retry,
  };
  const stop = new AbortController();
  /** Set once closing: the loop ends when the queue is empty instead of waiting for more. */
  let finishing = false;
  let wake: (() => void) | undefined;
  let closing: Promise<void> | undefined;

  const failed = (event: EncodedEvent, reason: EventFailure): void => {
    observer?.eventFailed(event.type, reason);
  };

  function enqueue(event: EncodedEvent): void {
    if (stop.signal.aborted) {
      failed(event, "dropped");
      return;
    }
    const dropped = queue.push(event);
    for (const old of dropped) failed(old, "dropped");
    if (dropped.length > 0) {
      log.debug({ dropped: dropped.length }, "operator events queue full: oldest dropped");
    }
    wake?.();
  }

  function endWindows(nowMs: number, all = false): void {
    for (const summary of all ? windows.takeAll() : windows.take(nowMs)) {
      enqueue(
        encodeEvent("message.dead_lettered", summary.subject, { counts: summary.counts }, nowMs),
      );
    }
  }

  async function loop(): Promise<void> {
    // Stopped: what is left is counted as dropped by shutdown().
    while (!stop.signal.aborted) {
      const event = queue.shift();
      if (event === undefined) {
        if (finishing) return;
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = undefined;
        continue;
      }
      const { sent, outcome } = await sendEvent(event, sender, stop.signal);
      if (!sent) {
        failed(event, "failed");
        log.warn({ type: event.type, event_id: event.id, outcome }, "operator event not sent");
      }
    }
  }
  const running = loop().catch((error: unknown) => {
    // sendEvent never throws; reaching here is a bug, and it must not take deliveries with it.
    log.error({ err: error }, "operator events loop failed");
  });

  const sink: EventSink = {
    emit(type, subject, data) {
      enqueue(encodeEvent(type, subject, data));
    },
    deadLettered(subject, reason) {
      const endsAt = windows.record(subject, reason, Date.now());
      if (endsAt === undefined) return;
      if (finishing) {
        // Closing: no window outlives the shutdown's last send.
        endWindows(Date.now(), true);
        return;
      }
      const timer = setTimeout(() => {
        windowTimers.delete(timer);
        // A timer may fire a millisecond before the clock reaches the window's end.
        endWindows(Math.max(Date.now(), endsAt));
      }, endsAt - Date.now());
      timer.unref();
      windowTimers.add(timer);
    },
  };

  async function shutdown(timeoutMs: number): Promise<void> {
    for (const timer of windowTimers) clearTimeout(timer);
    windowTimers.clear();
    endWindows(Date.now(), true);
    finishing = true;
    wake?.();
    let deadline: NodeJS.Timeout | undefined;
    await Promise.race([
      running,
      new Promise<void>((resolve) => {
        deadline = setTimeout(resolve, timeoutMs);
      }),
    ]);
    clearTimeout(deadline);
    stop.abort();
    // Ends an attempt still in flight at once rather than at its own deadline.
    await client.destroy();
    await running;
    for (const event of queue.clear()) failed(event, "dropped");
  }

  return {
    sink,
    close(timeoutMs) {
      closing ??= shutdown(timeoutMs);
      return closing;
    },
  };
}
