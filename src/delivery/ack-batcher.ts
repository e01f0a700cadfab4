import type { JsMsg } from "@nats-io/jetstream";

/**
 * Acks collected per account and sent together. Two costs make one ack at a time expensive:
 *
 * - The NATS client writes to its socket once per microtask checkpoint, and deliveries finish in
 *   separate I/O callbacks, so acks sent at once cost one socket write each (measured, the largest
 *   single cost of a delivery before they were batched).
 * - nats-server rewrites a file-backed consumer's state file up to ten times a second for as long
 *   as acks keep arriving. With a hundred busy accounts whose acks arrive evenly, every consumer
 *   stayed at that maximum: 28% of the server's CPU went to those rewrites. An account's acks
 *   held for up to `maxDelayMs` reach the server as a few bursts a second instead.
 *
 * Holding an ack never risks a redelivery while the daemon runs (`ack_wait` is seconds), and
 * every batch is sent before an account's connection closes and when the worker stops. A crash
 * redelivers at most `maxBatch` accepted messages per account; receivers deduplicate.
 */
export interface AckBatcher {
  ack(account: string, msg: JsMsg): void;
  /** Sends what is pending now: one account's acks (before its connection closes), or all. */
  flush(account?: string): void;
}

export interface AckBatcherOptions {
  /** Acks an account may have waiting before they are sent at once. Default 64. */
  readonly maxBatch?: number;
  /** How long an account's first waiting ack may wait. Default 200 ms. */
  readonly maxDelayMs?: number;
}

interface Batch {
  readonly msgs: JsMsg[];
  readonly timer: NodeJS.Timeout;
}

export function createAckBatcher(options: AckBatcherOptions = {}): AckBatcher {
  const maxBatch = options.maxBatch ?? 64;
  const maxDelayMs = options.maxDelayMs ?? 200;
  // At most one batch per account with deliveries, each bounded by `maxBatch`.
  const batches = new Map<string, Batch>();

  const send = (account: string, batch: Batch): void => {
    clearTimeout(batch.timer);
    batches.delete(account);
    for (const msg of batch.msgs) {
      try {
        msg.ack();
      } catch {
        // The connection is gone: JetStream redelivers after ack_wait; receivers deduplicate.
      }
    }
  };

  return {
    ack(account, msg) {
      let batch = batches.get(account);
      if (batch === undefined) {
        const timer = setTimeout(() => {
          const due = batches.get(account);
          if (due !== undefined) send(account, due);
        }, maxDelayMs);
        batch = { msgs: [], timer };
        batches.set(account, batch);
      }
      batch.msgs.push(msg);
      if (batch.msgs.length >= maxBatch) send(account, batch);
    },
    flush(account) {
      if (account === undefined) {
        for (const [key, batch] of batches) send(key, batch);
        return;
      }
      const batch = batches.get(account);
      if (batch !== undefined) send(account, batch);
    },
  };
}
