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
}

export const backlogOf = (info: ConsumerInfo): ConsumerBacklog => ({
  pending: info.num_pending,
  ackPending: info.num_ack_pending,
});

/**
 * Asks the server for the consumer's backlog every `intervalMs` (with jitter, so a thousand
 * accounts started together do not ask in the same instant) until `signal` aborts. A failed
 * request only skips a sample: a broken connection is the session's business, not this loop's.
 */
export async function pollBacklog(
  options: BacklogPollerOptions,
  signal: AbortSignal,
): Promise<void> {
  const { jsm, stream, consumer, intervalMs, report, logger } = options;
  // A function, not the property, because TypeScript narrows `signal.aborted` across awaits.
  const stopped = (): boolean => signal.aborted;
  while (!stopped()) {
    await sleep(Math.round(intervalMs * (0.75 + 0.5 * Math.random())), signal);
    if (stopped()) return;
    try {
      report(backlogOf(await jsm.consumers.info(stream, consumer)));
    } catch (error) {
      logger.debug({ err: error }, "consumer info failed; the backlog figure is stale");
    }
  }
}
