/**
 * Delivery slots shared out between accounts, as the worker hands them out. `active` counts the
 * accounts with messages waiting or requests in flight; an account whose messages come one at a
 * time, delivered at once, is mostly not among them, and it is the one that must never wait.
 *
 * - An account with nothing in flight may take any free slot: a tenant's next message waits for
 *   no other tenant's slow receiver.
 * - An account with requests in flight leaves a reserve of `concurrency / (active + 2)` slots
 *   free for those, and once it holds its fair share (`concurrency / (active + 1)`, all slots
 *   while it is the only one) it leaves twice that, so accounts below their share come first.
 *
 * Two tenants whose receivers hold every request for the whole `webhook.timeout` therefore never
 * hold every slot, while a hundred busy accounts with fast receivers keep all but two busy and
 * take long turns, which keeps their acks batched.
 */
export interface SlotShare {
  /** Slots an account may hold before it leaves twice the reserve free. */
  readonly share: number;
  /** Slots kept free for accounts with nothing in flight. */
  readonly reserve: number;
}

export function slotShare(concurrency: number, active: number): SlotShare {
  const accounts = Math.max(1, active);
  return {
    share: accounts === 1 ? concurrency : Math.max(1, Math.floor(concurrency / (accounts + 1))),
    reserve: Math.max(1, Math.floor(concurrency / (accounts + 2))),
  };
}

/** Whether an account holding `held` slots may take one more now that `free` are free. */
export function mayTakeSlot(held: number, free: number, { share, reserve }: SlotShare): boolean {
  if (free <= 0) return false;
  if (held === 0) return true;
  return free > (held < share ? reserve : 2 * reserve);
}
