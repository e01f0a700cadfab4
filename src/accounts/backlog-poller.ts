import type { ConsumerInfo, JetStreamManager } from "@nats-io/jetstream";
import type { Logger } from "pino";
import { sleep } from "./retry.js";
import type { ConsumerBacklog } from "./state.js";

export interface BacklogPollerOptions {
  readonly jsm: JetStreamManager;
  readonly stream: string;
  readonly consumer: string;
  readonly intervalMs: number;
  readonly report: (backlog: ConsumerBacklog) => void;
  readonly logger: Logger;
  /** Messages this session has received so far. */
  readonly received: () => number;
  /** The backlog the session started with, from verifying the consumer. */
  readonly initial: ConsumerBacklog;
}

/** An idle account with an empty backlog is asked only every this many intervals. */
const IDLE_EVERY = 5;

export const backlogOf = (info: ConsumerInfo): ConsumerBacklog => ({
  pending: info.num_pending,
  ackPending: info.num_ack_pending,
});

/**
 * Asks the server for the consumer's backlog every `intervalMs` (with jitter, so a thousand
 * accounts started together do not ask in the same instant) until `signal` aborts. An account
 * whose backlog was empty and that has received nothing since is asked only every
 * IDLE_EVERY intervals: a thousand idle accounts asking every minute cost the daemon and the
 * server more than everything else they do. A failed request only skips a sample: a broken
 * connection is the session's business, not this loop's.
 */
export async function pollBacklog(
  options: BacklogPollerOptions,
  signal: AbortSignal,
): Promise<void> {
  const { jsm, stream, consumer, intervalMs, report, logger } = options;
  // A function, not the property, because TypeScript narrows `signal.aborted` across awaits.
  const stopped = (): boolean => signal.aborted;
  let last = options.initial;
  let seen = options.received();
  let skipped = 0;
  while (!stopped()) {
    await sleep(Math.round(intervalMs * (0.75 + 0.5 * Math.random())), signal);
    if (stopped()) return;
    const received = options.received();
    const idle = received === seen && last.pending === 0 && last.ackPending === 0;
    if (idle && ++skipped < IDLE_EVERY) continue;
    skipped = 0;
    seen = received;
    try {
      last = backlogOf(await jsm.consumers.info(stream, consumer));
      report(last);
    } catch (error) {
      logger.debug({ err: error }, "consumer info failed; the backlog figure is stale");
    }
  }
}
