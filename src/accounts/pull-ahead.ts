/**
 * Messages an account pulls ahead of its deliveries, never more than `pull_batch`.
 *
 * Every message pulled ahead stays in memory until it is delivered. With one fixed batch per
 * account, a thousand accounts with a backlog would hold a thousand batches, and the time each
 * message spends waiting there grows with the number of accounts, which is what makes the garbage
 * collector copy and promote it. So the accounts share a budget instead: each pulls
 * `budget / accounts`, at least `MIN_PULL_AHEAD`. A pull window of 32 messages still outruns the
 * daemon at a millisecond of round trip to the server; the full batch is for a few accounts
 * behind a slow link. An account whose pull came back full asks for the full batch next, in one
 * of a few turns shared by all accounts (pull-turns.ts).
 */
export const MIN_PULL_AHEAD = 32;

export function pullAhead(pullBatch: number, budget: number, accounts: number): number {
  const share = Math.floor(budget / Math.max(1, accounts));
  return Math.max(1, Math.min(pullBatch, Math.max(MIN_PULL_AHEAD, share)));
}

/**
 * Room for a message's subject and headers beside its payload: a pull's `max_bytes` counts the
 * whole message, and a message that does not fit is never delivered to that pull at all.
 */
export const PULL_BYTES_OVERHEAD = 64 * 1024;

/**
 * Message bytes an account may have pulled ahead: its share of `budget` (`delivery.queue_bytes`),
 * shared out like the message budget.
 */
export function pullAheadBytes(budget: number, accounts: number): number {
  return Math.max(1, Math.floor(budget / Math.max(1, accounts)));
}
