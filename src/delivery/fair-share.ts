/**
 * Delivery slots shared out between accounts. While a single account has work, it may use every
 * slot its own limit allows. While several have (messages waiting or requests in flight), each
 * has a fair share of `concurrency / (accounts + 1)`, at least one: an account below its share may
 * always start a request, and one at or above it only while more than a share of slots stays
 * free. That spare share is what an account that has nothing in flight yet starts in, so a
 * tenant whose receiver holds every request for the whole `webhook.timeout` cannot make another
 * tenant's next message wait for it; and accounts with fast receivers still take long turns
 * while slots are free, which keeps their acks batched.
 */
export function fairShare(concurrency: number, activeAccounts: number): number {
  if (activeAccounts <= 1) return concurrency;
  return Math.max(1, Math.floor(concurrency / (activeAccounts + 1)));
}

/** Whether an account holding `held` slots may take one more (see `fairShare`). */
export function mayTakeSlot(held: number, share: number, free: number): boolean {
  return free > 0 && (held < share || free > share);
}
