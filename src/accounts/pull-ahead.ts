/**
 * Messages an account pulls ahead of its deliveries, never more than `pull_batch`.
 *
 * Every message pulled ahead stays in memory until it is delivered. With one fixed batch per
 * account, a thousand accounts with a backlog would hold a thousand batches, and the time each
 * message spends waiting there grows with the number of accounts, which is what makes the garbage
 * collector copy and promote it. So the accounts share a budget instead: each pulls
 * `budget / accounts`, at least `MIN_PULL_AHEAD`. A pull window of 32 messages still outruns the
 * daemon at a millisecond of round trip to the server; the full batch is for a few accounts
 * behind a slow link.
 */
export const MIN_PULL_AHEAD = 32;

export function pullAhead(pullBatch: number, budget: number, accounts: number): number {
  const share = Math.floor(budget / Math.max(1, accounts));
  return Math.max(1, Math.min(pullBatch, Math.max(MIN_PULL_AHEAD, share)));
}
