import {
  jetstreamManager,
  type JetStreamClient,
  type JsMsg,
  type StreamInfo,
} from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import type { LimitFunction } from "p-limit";
import type { Logger } from "pino";
import type { AccountConfig } from "../config/types.js";
import type { AckBatcher } from "../delivery/ack-batcher.js";
import type { AttemptTracer } from "../delivery/attempt-tracer.js";
import {
  createCircuitBreaker,
  type BreakerOptions,
  type BreakerState,
} from "../delivery/breaker.js";
import type { DeadLetterPublish } from "../delivery/dead-letter.js";
import { createLane, type AttemptObserver, type Lane } from "../delivery/lane.js";
import {
  createSettlement,
  type Settlement,
  type SettlementObserver,
} from "../delivery/settlement.js";
import { createDeliveryTarget } from "../delivery/target.js";
import { takesTermReason } from "../nats/server-version.js";
import { connectAccount } from "../nats/connect.js";
import { describeNatsError } from "../nats/describe-error.js";
import { verifyConsumer } from "../nats/verify.js";
import type { EventSink, EventType } from "../events/operator-event.js";
import type { FairQueue } from "../pipeline/fair-queue.js";
import type { InboundMessage } from "../pipeline/inbound-message.js";
import { watchConsumerLeader } from "./leader-watch.js";
import { sleep, waitingDelay } from "./retry.js";
import { backlogOf, pollBacklog } from "./backlog-poller.js";
import type { PullTurns } from "./pull-turns.js";
import { pullBatches, type PullBatches } from "./pull-batches.js";
import type { AccountState, AccountStatus, ConsumerBacklog } from "./state.js";

/** What an account runner tells the daemon's metrics; every method must be cheap and not throw. */
export interface AccountObserver extends AttemptObserver, SettlementObserver {
  received(account: string): void;
  consumerBacklog(account: string, backlog: ConsumerBacklog): void;
}

export interface AccountRunnerOptions {
  readonly account: AccountConfig;
  readonly queue: FairQueue<InboundMessage>;
  readonly logger: Logger;
  /** Messages the pull loop asks for at a time (see pull-ahead.ts). */
  readonly pullAhead: () => number;
  /** Message bytes it may have pulled ahead (see pull-ahead.ts). */
  readonly pullAheadBytes: () => number;
  /**
   * Turns at pulling a whole batch of `pullBatch` messages while the account has a backlog,
   * shared by every account (see pull-turns.ts).
   */
  readonly pullTurns: PullTurns;
  readonly pullBatch: number;
  readonly userAgent: string;
  /**
   * Bounds how many accounts connect at once. A thousand simultaneous handshakes starve the event
   * loop until the server's 2 s authentication timeout refuses them; a few dozen at a time finish
   * in a fraction of that.
   */
  readonly connectSlots: LimitFunction;
  /** The account's circuit breaker settings; the breaker itself is the account's own. */
  readonly breaker: Omit<BreakerOptions, "onReady">;
  readonly acks: AckBatcher;
  readonly observer?: AccountObserver | undefined;
  /** Operator events: the account's state changes, its breakers, its dead letters. */
  readonly events?: EventSink | undefined;
  /** Set only while tracing is on. */
  readonly tracer?: AttemptTracer | undefined;
  /** How often the consumer's backlog is asked for while running. */
  readonly backlogIntervalMs: number;
}

export interface AccountRunner {
  readonly name: string;
  readonly status: AccountStatus;
  /** Requests of this account in flight now. */
  readonly inflight: number;
  /** The account's breaker, per webhook origin it has used. */
  breakers(): ReadonlyMap<string, BreakerState>;
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

  /** Aborted once the runner is told to stop: a stopping account announces nothing more. */
  let stopping: AbortSignal | undefined;
  /** The state and reason operators last heard of, so a retry loop announces its state once. */
  let announced: string | undefined;

  function setState(state: AccountState, reason?: string): void {
    if (status.state === state && status.reason === reason) return;
    status = { name: account.name, state, reason, since: Date.now() };
    if (state === "waiting" || state === "disabled")
      log.warn({ state, reason }, `account ${state}`);
    else log.info({ state, reason }, `account ${state}`);
    announce(state, reason);
  }

  function announce(state: AccountState, reason: string | undefined): void {
    const type = ANNOUNCED_STATES[state];
    // `starting` comes between every two tries of a waiting account: it is not news.
    if (type === undefined || options.events === undefined || stopping?.aborted === true) return;
    const key = `${state}\u0000${reason ?? ""}`;
    if (announced === key) return;
    announced = key;
    options.events.emit(
      type,
      { account: account.name, tenantId: account.tenantId },
      reason === undefined ? {} : { reason },
    );
  }

  /** False while the connection is down and the client is reconnecting. */
  let connected = true;
  /** The lane of the session that is pulling, if any. */
  let lane: Lane | undefined;
  /** That session's pull requests. */
  let pulls: PullBatches | undefined;
  // Per account and origin: one tenant's failing receiver never holds back another's messages.
  const breaker = createCircuitBreaker({
    ...options.breaker,
    onReady: (origin) => {
      log.info({ origin }, "circuit breaker half-open: probing the receiver");
      queue.wake();
    },
  });
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
        // The pull request open before the outage died with that connection: ask again now
        // rather than after two missed heartbeats.
        pulls?.renew();
        if (before !== undefined && status.state === "waiting") setState(before);
        before = undefined;
      }
    }
  }

  /** Gives every message this account holds in the queue back to the broker at once. */
  function releaseHeld(): void {
    for (const item of queue.removeKey(account.name)) item.lane.handBack(item);
  }

  /**
   * Connects the account's pull loop to the queue until `signal` aborts or the connection ends.
   * Returns why the receiver disabled the endpoint (410 Gone), if it did.
   */
  async function session(nc: NatsConnection, signal: AbortSignal): Promise<string | undefined> {
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
      return undefined;
    }
    const { observer } = options;
    const settlement = createSettlement({
      target,
      publishDeadLetter: deadLetterPublisher(verified.js),
      termWithReason: takesTermReason(nc.info?.version),
      ack: options.acks.ack,
      logger: log,
      observer,
      events: options.events,
    });
    const sessionLane = createLane({
      target,
      breaker,
      settlement,
      // ack_wait is in nanoseconds; the server's default is 30 s.
      ackWaitMs: Math.floor((verified.consumer.config.ack_wait ?? 30_000_000_000) / 1_000_000),
      flushAcks: options.acks.flush,
      wake: () => {
        queue.wake();
      },
      logger: log,
      observer,
      events: options.events,
      tracer: options.tracer,
    });
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
    lane = sessionLane;
    // A 410 ends the pulling like a stop does: what is held goes back to the broker, kept.
    const pulling = AbortSignal.any([signal, sessionLane.disabled]);
    try {
      await pull(nc, verified.js, verified.stream, sessionLane, settlement, pulling);
      return sessionLane.disabled.aborted ? String(sessionLane.disabled.reason) : undefined;
    } finally {
      polling.abort();
      await poller;
      releaseHeld();
      // In-flight messages still need progress signals until their deliveries settle, and they
      // settle through this connection, which closes only after this.
      await sessionLane.idle();
      sessionLane.close();
      lane = undefined;
    }
  }

  async function pull(
    nc: NatsConnection,
    js: JetStreamClient,
    stream: StreamInfo,
    lane: Lane,
    settlement: Settlement,
    signal: AbortSignal,
  ): Promise<void> {
    const consumer = await js.consumers.get(account.stream, account.consumer);
    const quick = await jetstreamManager(nc, {
      timeout: CONSUMER_INFO_TIMEOUT_MS,
      checkAPI: false,
    });
    const messages = pullBatches({
      consumer,
      size: () => ({ messages: options.pullAhead(), bytes: options.pullAheadBytes() }),
      // Until a message was seen, the stream's average stands in for the largest one.
      initialLargest: Math.ceil(stream.state.bytes / Math.max(1, stream.state.messages)),
      maxPayload: nc.info?.max_payload ?? DEFAULT_MAX_PAYLOAD,
      // An idle account costs one pull per `expires` and a heartbeat per half of it; with a
      // thousand accounts the client's 30 s default is what keeps an idle daemon busy. A pull
      // is renewed at once when its batch is taken, and after a reconnect.
      expiresMs: PULL_EXPIRES_MS,
      busyHeartbeatMs: BUSY_PULL_HEARTBEAT_MS,
      consumerInfo: () => quick.consumers.info(account.stream, account.consumer),
      turns: { of: options.pullTurns, batch: options.pullBatch },
      logger: log,
    });
    pulls = messages;
    const leaders = watchConsumerLeader(
      nc,
      account.stream,
      account.consumer,
      () => {
        messages.renew();
      },
      log,
    );
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
    setState("running");
    const { origin } = lane.target;
    const enqueue = (item: InboundMessage): Promise<void> | undefined => {
      if (queue.tryPush(account.name, item)) return undefined;
      return queue.push(account.name, item).catch(() => {
        // Let go while waiting for room (shutdown, removal, a lost connection): the broker gets
        // the message back now. Only a stop ends the loop; a reconnect carries on pulling.
        lane.handBack(item);
      });
    };
    const take = (msg: JsMsg): Promise<void> | undefined => {
      options.observer?.received(account.name);
      receivedCount++;
      if (stopping() || !connected) {
        // The pull still open would get an at-once nak straight back; a short delay lets it
        // reach the next session (or another replica) instead.
        settlement.handBack(msg, HAND_BACK_DELAY_MS);
        return undefined;
      }
      // While the receiver's breaker is open this account stops pulling; the one message in
      // hand is held with progress signals meanwhile.
      const item = lane.admit(msg);
      if (breaker.state(origin) === "open") {
        return breaker.ready(origin, signal).then(() => enqueue(item));
      }
      return enqueue(item);
    };
    try {
      await messages.forEach(take);
    } finally {
      signal.removeEventListener("abort", stop);
      clearTimeout(handBack);
      leaders.stop();
      pulls = undefined;
    }
    if (!signal.aborted) throw new SessionEndedError("the pull loop ended");
  }

  return {
    name: account.name,
    get status() {
      return status;
    },
    get inflight() {
      return lane?.inflight ?? 0;
    },
    breakers() {
      return breaker.states();
    },
    async run(signal) {
      // A function, not the property, because TypeScript narrows `signal.aborted` across awaits.
      const stopped = (): boolean => signal.aborted;
      stopping = signal;
      let failures = 0;
      let disabled: string | undefined;
      while (!stopped() && disabled === undefined) {
        setState("starting");
        let nc: NatsConnection | undefined;
        let watching: Promise<void> = Promise.resolve();
        try {
          nc = await options.connectSlots(() =>
            connectAccount(account, { clientName: `streamhook:${account.name}` }),
          );
          watching = watchConnection(nc);
          disabled = await session(nc, signal);
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
        if (!stopped() && disabled === undefined) {
          await sleep(waitingDelay(Math.max(0, failures - 1)), signal);
        }
      }
      if (disabled !== undefined && !stopped()) {
        // Until the configuration changes (a new runner) or the daemon restarts.
        setState("disabled", disabled);
        await untilAborted(signal);
      }
      breaker.close();
      setState("stopped");
    },
  };
}

/**
 * The runner's states operators hear about, and the event each is. `invalid` is the supervisor's
 * to announce: a runner only exists for a configuration that could be used.
 */
const ANNOUNCED_STATES: Partial<Record<AccountState, EventType>> = {
  running: "account.running",
  waiting: "account.waiting",
  disabled: "account.disabled",
};

/** A closed connection says why it closed (e.g. a revoked user) in its cause. */
function rootCause(error: unknown): unknown {
  return error instanceof SessionEndedError && error.cause instanceof Error ? error.cause : error;
}

function deadLetterPublisher(js: JetStreamClient): DeadLetterPublish {
  return async (subject, data, headers, msgId) => {
    await js.publish(subject, data, { headers, msgID: msgId });
  };
}

/** nats-server's default `max_payload`, for a server that did not say. */
const DEFAULT_MAX_PAYLOAD = 1024 * 1024;

/** How long one pull request stays open at the server. */
const PULL_EXPIRES_MS = 60_000;
/**
 * The server's heartbeat on an open pull while messages flow: a pull lost with a consumer leader
 * that died without an election announcement reaching us is noticed after two missed, 6 to 9 s.
 * The server sends one only when it has sent nothing else for that long, so a busy account pays
 * for none. The client's default, half the expiry, made that a minute; it stays for pulls after
 * one that brought nothing, where 5 s heartbeats cost a thousand idle accounts 1.3% of a core.
 */
const BUSY_PULL_HEARTBEAT_MS = 3_000;

/** How long the pull loop waits for the consumer's info when pulls find nobody answering. */
const CONSUMER_INFO_TIMEOUT_MS = 1_000;

/** Delay of a nak for a message handed back while its session stops or reconnects. */
const HAND_BACK_DELAY_MS = 1_000;
/** How long a stopping session keeps handing back what its client had buffered. */
const HAND_BACK_WINDOW_MS = 100;

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

async function closeConnection(nc: NatsConnection, log: Logger): Promise<void> {
  if (nc.isClosed()) return;
  try {
    await nc.drain();
  } catch (error) {
    log.debug({ err: error }, "drain failed; closing");
    await nc.close().catch(() => undefined);
  }
}
