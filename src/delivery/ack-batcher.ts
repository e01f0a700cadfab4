import type { JsMsg } from "@nats-io/jetstream";

/**
 * Acks collected during one turn of the event loop and sent together at its end. The NATS client
 * writes to its socket once per microtask checkpoint, and deliveries finish in separate I/O
 * callbacks, so acks sent at once cost one socket write each: measured, the largest single cost
 * of a delivery. Batched, a turn's acks share one write per connection.
 */
export interface AckBatcher {
  /** A plain function, so it can be handed on without its object. */
  readonly ack: (msg: JsMsg) => void;
  /** Sends what is pending now, e.g. before an account's connection closes. */
  readonly flush: () => void;
}

export function createAckBatcher(): AckBatcher {
  // Bounded by the deliveries that can finish in one turn, at most `delivery.concurrency`.
  let pending: JsMsg[] = [];
  let scheduled: NodeJS.Immediate | undefined;
  const flush = (): void => {
    if (scheduled !== undefined) clearImmediate(scheduled);
    scheduled = undefined;
    const batch = pending;
    pending = [];
    for (const msg of batch) {
      try {
        msg.ack();
      } catch {
        // The connection is gone: JetStream redelivers after ack_wait; receivers deduplicate.
      }
    }
  };
  return {
    ack: (msg) => {
      pending.push(msg);
      scheduled ??= setImmediate(flush);
    },
    flush,
  };
}
