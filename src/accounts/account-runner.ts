import type { JetStreamClient, JsMsg } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import type { LimitFunction } from "p-limit";
import type { Logger } from "pino";
import type { AccountConfig } from "../config/types.js";
import type { CircuitBreaker } from "../delivery/breaker.js";
import type { DeadLetterPublish } from "../delivery/dead-letter.js";
import { createDeliveryTarget, type DeliveryTarget } from "../delivery/target.js";
import { takesTermReason } from "../nats/server-version.js";
import { connectAccount } from "../nats/connect.js";
import { describeNatsError } from "../nats/describe-error.js";
import { verifyConsumer } from "../nats/verify.js";
import type { FairQueue } from "../pipeline/fair-queue.js";
import { createHeldMessages, type HeldMessages } from "../pipeline/held-messages.js";
import type { InboundMessage } from "../pipeline/inbound-message.js";
import { sleep, waitingDelay } from "./retry.js";
import { backlogOf, pollBacklog } from "./backlog-poller.js";
import { refillThreshold } from "./pull-ahead.js";
import type { AccountState, AccountStatus, ConsumerBacklog } from "./state.js";

/** What an account runner tells the daemon's metrics; every method must be cheap and not throw. */
export interface AccountObserver {
  received(account: string): void;
  consumerBacklog(account: string, backlog: ConsumerBacklog): void;
}

export interface AccountRunnerOptions {
  readonly account: AccountConfig;
  readonly queue: FairQueue<InboundMessage>;
  readonly logger: Logger;
  /** Messages the consume loop pulls ahead, asked for when a session starts (see pull-ahead.ts). */
  readonly pullAhead: () => number;
  readonly userAgent: string;
  /**
   * Bounds how many accounts connect at once. A thousand simultaneous handshakes starve the event
   * loop until the server's 2 s authentication timeout refuses them; a few dozen at a time finish
   * in a fraction of that.
   */
  readonly connectSlots: LimitFunction;
  readonly breaker: CircuitBreaker;
  /** Resolves once none of this account's messages is in flight (see DeliveryWorker.idle). */
  readonly idle: (account: string) => Promise<void>;
  readonly observer?: AccountObserver | undefined;
  /** How often the consumer's backlog is asked for while running. */
  readonly backlogIntervalMs: number;
}

export interface AccountRunner {
  readonly name: string;
  readonly status: AccountStatus;
  /** Runs until `signal` aborts: connects, verifies, pulls; waits and retries on any failure. */
  run(signal: AbortSignal): Promise<void>;
}

/** Why a session ended, when it was not asked to. */
class SessionEndedError extends Error {
  override readonly name = "SessionEndedError";
}

export function createAccountRunner(options: AccountRunnerOptions): AccountRunner {
  const { account, queue, logger } = options;
  const log = logger.child({ account: account.name });
  let status: AccountStatus = {
    name: account.name,
    state: "starting",
    reason: undefined,
    since: Date.now(),
  };

  function setState(state: AccountState, reason?: string): void {
    if (status.state === state && status.reason === reason) return;
    status = { name: account.name, state, reason, since: Date.now() };
    if (state === "waiting") log.warn({ state, reason }, "account waiting");
    else log.info({ state, reason }, `account ${state}`);
  }

  /** False while the connection is down and the client is reconnecting. */
  let connected = true;
  /** Messages pulled, over every session: tells the backlog poller whether anything happened. */
  let receivedCount = 0;

  /**
   * While the client reconnects, the account is `waiting` and its queued messages are let go:
   * delivering them would only produce acks that never reach the server, and so duplicates.
   * Ends when the connection closes.
   */
  async function watchConnection(nc: NatsConnection): Promise<void> {
    connected = true;
    let before: AccountState | undefined;
    for await (const s of nc.status()) {
      if (s.type === "disconnect" && connected) {
        connected = false;
        before = status.state;
        setState("waiting", "disconnected from the server; reconnecting");
        releaseHeld();
      } else if (s.type === "reconnect" && !connected) {
        connected = true;
        if (before !== undefined && status.state === "waiting") setState(before);
        before = undefined;
      }
    }
  }

  /** Gives every message this account holds in the queue back to the broker at once. */
  function releaseHeld(): void {
    for (const held of queue.removeKey(account.name)) {
      held.release();
      nakQuietly(held.msg);
    }
  }

  async function session(nc: NatsConnection, signal: AbortSignal): Promise<void> {
    const verified = await options.connectSlots(() => verifyConsumer(nc, account));
    const target = createDeliveryTarget({
      account,
      streamCreated: verified.stream.created,
      consumerMaxDeliver: verified.consumer.config.max_deliver ?? -1,
      userAgent: options.userAgent,
    });
    if (account.paused) {
      setState("paused");
      await Promise.race([untilAborted(signal), nc.closed()]);
      return;
    }
    // ack_wait is in nanoseconds; the server's default is 30 s.
    const ackWaitMs = Math.floor((verified.consumer.config.ack_wait ?? 30_000_000_000) / 1_000_000);
    const held = createHeldMessages(ackWaitMs);
    const { observer } = options;
    const polling = new AbortController();
    let poller: Promise<void> = Promise.resolve();
    if (observer !== undefined) {
      const initial = backlogOf(verified.consumer);
      observer.consumerBacklog(account.name, initial);
      poller = pollBacklog(
        {
          initial,
          received: () => receivedCount,
          jsm: verified.jsm,
          stream: account.stream,
          consumer: account.consumer,
          intervalMs: options.backlogIntervalMs,
          report: (backlog) => {
            observer.consumerBacklog(account.name, backlog);
          },
          logger: log,
        },
        polling.signal,
      );
    }
    try {
      await pull(nc, verified.js, target, held, signal);
    } finally {
      polling.abort();
      await poller;
      releaseHeld();
      // In-flight messages still need progress signals until their deliveries settle, and they
      // settle through this connection, which closes only after this.
      await options.idle(account.name);
      held.close();
    }
  }

  async function pull(
    nc: NatsConnection,
    js: JetStreamClient,
    target: DeliveryTarget,
    held: HeldMessages,
    signal: AbortSignal,
  ): Promise<void> {
    const consumer = await js.consumers.get(account.stream, account.consumer);
    const pullWindow = options.pullAhead();
    const messages = await consumer.consume({
      max_messages: pullWindow,
      threshold_messages: refillThreshold(pullWindow),
      // An idle account costs one pull per `expires` and a heartbeat per half of it; with a
      // thousand accounts the client's 30 s default is what keeps an idle daemon busy. A pull
      // still open is renewed at once when messages flow, and a lost connection is noticed by
      // the client's own pings and status events, not by these heartbeats.
      expires: PULL_EXPIRES_MS,
      abort_on_missing_resource: true,
    });
    const publishDeadLetter = deadLetterPublisher(js);
    const termWithReason = takesTermReason(nc.info?.version);
    // On a stop, the messages the client has already buffered are handed back as well, rather
    // than left to come back after ack_wait: the loop runs on for a moment, handing back each
    // message, then ends. (The client's pending count cannot tell when its buffer is empty.)
    let handBack: NodeJS.Timeout | undefined;
    const stop = (): void => {
      // What the queue holds goes back now; a push waiting for room is rejected by it, which
      // spares every push an abort listener of its own.
      releaseHeld();
      handBack ??= setTimeout(() => {
        messages.stop();
      }, HAND_BACK_WINDOW_MS);
    };
    signal.addEventListener("abort", stop, { once: true });
    // Stopped while connecting or verifying: an abort that already happened fires no event.
    if (signal.aborted) stop();
    // A function, not the property, because TypeScript narrows `signal.aborted` across awaits.
    const stopping = (): boolean => signal.aborted;
    // A connection that closes for good ends the loop, so the runner can build a new one.
    void nc.closed().then((error) => {
      messages.stop(new SessionEndedError("connection closed", { cause: error }));
    });
    const statuses = watchStatus(messages.status(), log);
    setState("running");
    try {
      for await (const msg of messages) {
        options.observer?.received(account.name);
        receivedCount++;
        if (stopping() || !connected) {
          // The pull still open would get an at-once nak straight back; a short delay lets it
          // reach the next session (or another replica) instead.
          nakQuietly(msg, HAND_BACK_DELAY_MS);
          continue;
        }
        const release = held.hold(msg);
        // While the receiver's breaker is open this account stops pulling; the one message in
        // hand is held with progress signals meanwhile. Checked first, so the usual case costs
        // no promise.
        if (options.breaker.state(target.origin) === "open") {
          await options.breaker.ready(target.origin, signal);
        }
        try {
          await queue.push(account.name, {
            target,
            msg,
            publishDeadLetter,
            termWithReason,
            receivedAt: Date.now(),
            release,
          });
        } catch {
          // Let go while waiting for room (shutdown, removal, a lost connection): the broker gets
          // the message back now. Only a stop ends the loop; a reconnect carries on pulling.
          release();
          nakQuietly(msg);
        }
      }
    } finally {
      signal.removeEventListener("abort", stop);
      clearTimeout(handBack);
    }
    const ended = await messages.closed();
    await statuses;
    if (!signal.aborted) {
      throw ended instanceof Error ? ended : new SessionEndedError("the consume loop ended");
    }
  }

  return {
    name: account.name,
    get status() {
      return status;
    },
    async run(signal) {
      // A function, not the property, because TypeScript narrows `signal.aborted` across awaits.
      const stopped = (): boolean => signal.aborted;
      let failures = 0;
      while (!stopped()) {
        setState("starting");
        let nc: NatsConnection | undefined;
        let watching: Promise<void> = Promise.resolve();
        try {
          nc = await options.connectSlots(() =>
            connectAccount(account, { clientName: `streamhook:${account.name}` }),
          );
          watching = watchConnection(nc);
          await session(nc, signal);
          failures = 0;
        } catch (error) {
          if (stopped()) break;
          setState("waiting", describeNatsError(rootCause(error), account));
          failures++;
        } finally {
          // session() has released what it held and waited for its deliveries by now.
          if (nc !== undefined) await closeConnection(nc, log);
          await watching;
        }
        if (!stopped()) await sleep(waitingDelay(Math.max(0, failures - 1)), signal);
      }
      setState("stopped");
    },
  };
}

/** A closed connection says why it closed (e.g. a revoked user) in its cause. */
function rootCause(error: unknown): unknown {
  return error instanceof SessionEndedError && error.cause instanceof Error ? error.cause : error;
}

function deadLetterPublisher(js: JetStreamClient): DeadLetterPublish {
  return async (subject, data, headers, msgId) => {
    await js.publish(subject, data, { headers, msgID: msgId });
  };
}

/** How long one pull request stays open at the server; heartbeats come every half of it. */
const PULL_EXPIRES_MS = 60_000;

/** Delay of a nak for a message handed back while its session stops or reconnects. */
const HAND_BACK_DELAY_MS = 1_000;
/** How long a stopping session keeps handing back what its client had buffered. */
const HAND_BACK_WINDOW_MS = 100;

function nakQuietly(msg: JsMsg, delayMs?: number): void {
  try {
    msg.nak(delayMs);
  } catch {
    // The connection is already gone; JetStream redelivers after ack_wait.
  }
}

function untilAborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else {
      signal.addEventListener(
        "abort",
        () => {
          resolve();
        },
        { once: true },
      );
    }
  });
}

async function watchStatus(statuses: AsyncIterable<{ type: string }>, log: Logger): Promise<void> {
  for await (const s of statuses) {
    if (
      s.type === "heartbeats_missed" ||
      s.type === "consumer_not_found" ||
      s.type === "stream_not_found"
    ) {
      log.warn({ status: s }, "consumer status");
    } else if (s.type !== "next" && s.type !== "heartbeat" && s.type !== "debug") {
      log.debug({ status: s }, "consumer status");
    }
  }
}

async function closeConnection(nc: NatsConnection, log: Logger): Promise<void> {
  if (nc.isClosed()) return;
  try {
    await nc.drain();
  } catch (error) {
    log.debug({ err: error }, "drain failed; closing");
    await nc.close().catch(() => undefined);
  }
}
