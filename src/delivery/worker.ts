import { setImmediate } from "node:timers/promises";
import type { Logger } from "pino";
import type { FairQueue } from "../pipeline/fair-queue.js";
import type { InboundMessage } from "../pipeline/inbound-message.js";
import type { Lane } from "./lane.js";
import { busyMayTake, mayTakeSlot, slotShare, type SlotShare } from "./fair-share.js";
import type { WebhookClient } from "./webhook-client.js";

/** The longest the worker starts deliveries in one go before it lets other work run. */
const SLICE_MS = 10;

export interface DeliveryWorkerOptions {
  readonly queue: FairQueue<InboundMessage>;
  readonly client: WebhookClient;
  /** Requests in flight across all accounts. */
  readonly concurrency: number;
  readonly logger: Logger;
}

export interface DeliveryWorker {
  /**
   * Drains the queue until it is closed, or `intake` aborts, then waits for the deliveries in
   * flight. `abort` cancels in-flight requests (their messages are nak'd, never lost).
   */
  run(intake: AbortSignal, abort: AbortSignal): Promise<void>;
  readonly inflight: number;
}

/**
 * Decides which message goes next, and nothing else: the queue picks the account in turn, the
 * account's lane says whether it may start one more request, the share of slots (see
 * fair-share.ts) whether it may have one now, and the lane carries the delivery out from request
 * to settlement.
 */
export function createDeliveryWorker(options: DeliveryWorkerOptions): DeliveryWorker {
  const { queue, client, concurrency, logger } = options;
  let inflight = 0;
  /** Set while `run` waits for the last deliveries to finish. */
  let drained: (() => void) | undefined;
  /** The share of this take, computed once per take rather than once per account looked at. */
  let share: SlotShare = slotShare(concurrency, 1);

  const eligible = (_account: string, head: InboundMessage, quiet: boolean): boolean =>
    mayTakeSlot({ quiet, held: head.lane.inflight }, concurrency - inflight, share) &&
    head.lane.canStart();

  /**
   * Lanes with a request in flight. A set, not a count: two deliveries of a lane can end before
   * either's continuation runs, and both then see the lane idle.
   */
  const busyLanes = new Set<Lane>();

  function start(item: InboundMessage): void {
    const { lane } = item;
    inflight++;
    if (lane.inflight === 0) busyLanes.add(lane);
    // A lane's delivery never rejects; it is waited for through the in-flight count.
    void lane.deliver(item, client).then(() => {
      queue.release(item);
      inflight--;
      if (lane.inflight === 0) busyLanes.delete(lane);
      queue.wake();
      if (inflight === 0) drained?.();
    });
  }

  return {
    get inflight() {
      return inflight;
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
      let sliceStarted = performance.now();
      while (!intake.aborted && !queue.closed) {
        // Every finished delivery wakes the queue, so waiting on it covers a freed slot too.
        let next: { item: InboundMessage } | undefined;
        if (inflight < concurrency) {
          // The accounts that compete for slots: those with messages waiting and those with
          // requests in flight. Counting only the first made the share as large as the whole
          // concurrency whenever every account's messages were in flight, as they are behind
          // slow receivers. One account in both counts twice, which only makes the share smaller.
          share = slotShare(concurrency, queue.keysHolding + busyLanes.size);
          // At a hundred accounts all but the reserve's one slot are busy most of the time, and
          // a pass over every account that may not take cost more than the queue itself.
          next = queue.tryTake(
            eligible,
            busyMayTake(concurrency - inflight, share) ? "any" : "quiet",
          );
        }
        if (next === undefined) {
          await queue.changed();
          sliceStarted = performance.now();
          continue;
        }
        // A delivery builds and signs its request before its first await: a few microseconds
        // for a small payload, milliseconds for a megabyte one. Starting dozens of those in one
        // go kept the event loop from everything else (another tenant's message arriving, the
        // responses) for hundreds of milliseconds, so the loop yields once a slice is used up.
        start(next.item);
        if (performance.now() - sliceStarted > SLICE_MS) {
          await setImmediate();
          sliceStarted = performance.now();
        }
      }
      if (inflight > 0) {
        await new Promise<void>((resolve) => {
          drained = resolve;
        });
        drained = undefined;
      }
      abort.removeEventListener("abort", cancel);
      intake.removeEventListener("abort", stopTaking);
    },
  };
}
