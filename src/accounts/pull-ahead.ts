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

/**
 * How many messages of a window may still be on their way when the account asks for more. The
 * client's default is three quarters, so each pull request asks for a quarter of the window: with
 * a hundred accounts of 81, a request every 20 messages, and nats-server's work on pull requests
 * grew with the number of accounts. Asking when a quarter is still on its way makes requests
 * three times larger and leaves a quarter of the window (64 messages of a full batch, 8 of the
 * smallest window) to cover the request's round trip.
 */
export function refillThreshold(window: number): number {
  return Math.max(1, Math.floor(window / 4));
}
