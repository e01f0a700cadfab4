// An account's messages, pulled one batch at a time: the next pull request goes out only once
// the account's pull loop has taken every message of the last one. The client's `consume()` asks
// for more as soon as messages arrive, whether or not anybody takes them, so an account whose
// receiver is slow buffered up to its consumer's `max_ack_pending` messages: with megabyte
// messages, hundreds of MiB that no queue bound could see.
import { setTimeout as delay } from "node:timers/promises";
import type { Consumer, ConsumerMessages, JsMsg } from "@nats-io/jetstream";
import type { Logger } from "pino";
import { PULL_BYTES_OVERHEAD } from "./pull-ahead.js";
import type { PullTurns } from "./pull-turns.js";

export interface BatchSize {
  /** Messages of the next pull: the account's share of the pull budget. */
  readonly messages: number;
  /** Bytes the account may have pulled ahead: its share of `delivery.queue_bytes`. */
  readonly bytes: number;
}

/**
 * The next pull request: by count while `messages` of the largest size seen so far fit in the
 * byte share, else by bytes. A pull bounded by bytes is never smaller than one message of the
 * server's largest payload (which would never be delivered to it); the client caps such a pull at
 * 100 messages, which is why small messages are pulled by count.
 */
export function batchOptions(
  size: BatchSize,
  largestMessage: number,
  maxPayload: number,
): { readonly max_messages: number } | { readonly max_bytes: number } {
  if (size.messages * largestMessage <= size.bytes) return { max_messages: size.messages };
  return { max_bytes: Math.max(size.bytes, maxPayload + PULL_BYTES_OVERHEAD) };
}

export interface PullBatchesOptions {
  readonly consumer: Consumer;
  /** Asked before every pull request. */
  readonly size: () => BatchSize;
  /** Bytes of the largest message expected before any was seen (the stream's average). */
  readonly initialLargest: number;
  readonly maxPayload: number;
  /** How long one pull request stays open at the server. */
  readonly expiresMs: number;
  /**
   * How often the server says an open pull request is still alive while messages flow or the
   * cluster may be unsettled; two missed in a row end it, and the next one is asked for. This
   * bounds how long a pull lost with a consumer leader that died unannounced goes unnoticed. A
   * pull after one that expired empty keeps the client's default, half the expiry: idle
   * accounts stay nearly free.
   */
  readonly busyHeartbeatMs: number;
  /**
   * The consumer's info, asked when pulls keep finding nobody to answer them. A short timeout:
   * a leaderless consumer times it out, and pulls wait meanwhile.
   */
  readonly consumerInfo: () => Promise<unknown>;
  /** How long pulls may find nobody to answer them before `consumerInfo` is asked. Default 3 s. */
  readonly confirmAfterMs?: number;
  /**
   * Turns at pulling a whole batch (see pull-turns.ts): after a pull that came back full, the
   * next asks for up to `batch` messages, in a turn. Without turns every pull asks for `size()`.
   */
  readonly turns?: { readonly of: PullTurns; readonly batch: number } | undefined;
  readonly logger: Logger;
}

/**
 * What the pull loop does with each message. It returns a promise only when it must wait (for
 * room in the queue, say), and the next message is not taken until that settles: a promise per
 * message, or an async generator between the client and the loop, was a measurable share of the
 * garbage collector's work in a drain.
 */
export type TakeMessage = (msg: JsMsg) => Promise<void> | undefined;

export interface PullBatches {
  /**
   * Hands every message to `take`, one pull request after another, until `stop`. Rejects with
   * the error given to `stop`, or with one that ends the session (the consumer or stream gone).
   */
  forEach(take: TakeMessage): Promise<void>;
  /** Ends the pull after the messages already received; `error` makes `forEach` reject with it. */
  stop(error?: Error): void;
  /** Ends the current pull request and starts a new one, e.g. after a reconnect. */
  renew(): void;
}

/**
 * Whether an error of a pull request ends the session. A fetch turns every status the server
 * sends (a 409 of any kind, missed heartbeats, a message that does not fit its bytes) into an
 * error, where `consume()` carried on; only a consumer or stream that is gone ends the session,
 * which then waits for it like any missing resource.
 */
function endsTheSession(error: unknown): boolean {
  return /consumer (deleted|not found|does not exist)|stream not found/.test(lowerMessage(error));
}

/**
 * Nobody took the pull request: the consumer is gone, or, in a cluster, it has no leader for
 * the moment (its leader died and the election is under way).
 */
function isNoResponders(error: unknown): boolean {
  return lowerMessage(error).includes("no responders");
}

function lowerMessage(error: unknown): string {
  return error instanceof Error ? error.message.toLowerCase() : "";
}

/** How long pulls may find nobody to answer them before the consumer's state is asked. */
const CONFIRM_AFTER_MS = 3_000;

/** The pause before asking again after a pull request ended in an error. */
const RETRY_AFTER_ERROR_MS = 250;

export function pullBatches(options: PullBatchesOptions): PullBatches {
  const { consumer, logger } = options;
  let stopped: { readonly error: Error | undefined } | undefined;
  let current: ConsumerMessages | undefined;
  /** The pause after a failed pull request, while it lasts. */
  let pause: AbortController | undefined;
  /** The wait for a turn at pulling, while it lasts. */
  let waitingTurn: AbortController | undefined;
  /** Whether the current pull request was ended by `renew()`. */
  let renewed = false;
  let largest = options.initialLargest;
  // A function, not the variable, because TypeScript narrows `stopped` across awaits.
  const isStopped = (): boolean => stopped !== undefined;

  async function watch(batch: ConsumerMessages): Promise<void> {
    for await (const s of batch.status()) {
      if (s.type === "consumer_not_found" || s.type === "stream_not_found") {
        logger.warn({ status: s }, "consumer status");
      } else if (s.type !== "next" && s.type !== "heartbeat" && s.type !== "debug") {
        logger.debug({ status: s }, "consumer status");
      }
    }
  }

  /**
   * Rejects when the consumer is gone, or JetStream does not answer at all; resolves when it is
   * there or its state cannot be told yet (an election under way times the request out).
   */
  async function confirmConsumer(): Promise<void> {
    try {
      await options.consumerInfo();
    } catch (error) {
      if (endsTheSession(error) || isNoResponders(error)) throw error;
      logger.debug({ err: error }, "consumer info failed; asking again");
    }
  }

  async function forEach(take: TakeMessage): Promise<void> {
    let failed = false;
    /**
     * Whether the next pull asks for frequent heartbeats: after one that brought messages, and
     * after one that ended early (an error, a renewal), when the cluster may be unsettled. Only a
     * pull that expired empty lets them go back to the client's default.
     */
    let watchful = false;
    /** When the pulls began to find nobody answering, while they still do. */
    let unansweredSince: number | undefined;
    /** Messages the consumer still had for us after the last pull, if that pull came back full. */
    let backlog = 0;
    const { turns } = options;
    while (!isStopped()) {
      let endTurn: (() => void) | undefined;
      if (backlog > 0 && turns !== undefined) {
        waitingTurn = new AbortController();
        endTurn = await turns.of.take(waitingTurn.signal);
        waitingTurn = undefined;
        if (isStopped()) {
          endTurn?.();
          break;
        }
      }
      const size = options.size();
      const asked = batchOptions(
        endTurn === undefined || turns === undefined
          ? size
          : { messages: Math.min(turns.batch, backlog), bytes: size.bytes },
        largest,
        options.maxPayload,
      );
      backlog = 0;
      let batch: ConsumerMessages;
      try {
        batch = await consumer.fetch({
          ...asked,
          expires: options.expiresMs,
          ...(watchful && { idle_heartbeat: options.busyHeartbeatMs }),
        });
      } catch (error) {
        endTurn?.();
        throw error;
      }
      renewed = false;
      let received = 0;
      let last: JsMsg | undefined;
      current = batch;
      // Stopped while the request was being made: nothing of it is wanted.
      if (isStopped()) batch.stop();
      const statuses = watch(batch);
      try {
        // Each message is taken by the pull loop before the next is asked for: while the loop
        // waits for room, what is still coming belongs to this one request, no more.
        for await (const msg of batch) {
          received++;
          last = msg;
          if (msg.data.length > largest) largest = msg.data.length;
          const waiting = take(msg);
          if (waiting !== undefined) await waiting;
        }
        unansweredSince = undefined;
        watchful = received > 0 || renewed;
        // Read once per pull: the client parses the reply subject for it.
        if ("max_messages" in asked && received === asked.max_messages) {
          backlog = last?.info.pending ?? 0;
        }
      } catch (error) {
        watchful = true;
        if (isStopped() || endsTheSession(error)) throw error;
        if (isNoResponders(error)) {
          // Asking the consumer's state takes a timeout while an election is under way, and
          // the election is usually over sooner: pulls go on, and the question is asked only
          // of a silence that lasts.
          unansweredSince ??= Date.now();
          if (Date.now() - unansweredSince >= (options.confirmAfterMs ?? CONFIRM_AFTER_MS)) {
            await confirmConsumer();
            unansweredSince = Date.now();
          }
        } else {
          unansweredSince = undefined;
        }
        logger.debug({ err: error }, "pull request ended; asking again");
        failed = true;
      } finally {
        endTurn?.();
        current = undefined;
        batch.stop();
        await statuses;
      }
      if (failed) {
        failed = false;
        // A renewal (a new consumer leader, a reconnect) cuts the pause short.
        pause = new AbortController();
        await delay(RETRY_AFTER_ERROR_MS, undefined, { signal: pause.signal }).catch(
          () => undefined,
        );
        pause = undefined;
      }
    }
    const error = stopped?.error;
    if (error !== undefined) throw error;
  }

  /**
   * Ends whatever the loop is waiting on: the open pull, the pause after an error, the wait for a
   * turn. After a renewal, a new leader or connection is asked at once, not after a round of the
   * others' turns.
   */
  function interrupt(): void {
    current?.stop();
    pause?.abort();
    waitingTurn?.abort();
  }

  return {
    forEach,
    stop(error) {
      stopped ??= { error };
      interrupt();
    },
    renew() {
      renewed = true;
      interrupt();
    },
  };
}
