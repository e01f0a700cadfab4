/**
 * Delivery slots kept for quiet accounts. The queue serves an account that had nothing queued
 * before the accounts with a backlog, which take turns (see FairQueue). `backlogs` counts the
 * accounts with messages waiting.
 *
 * - A quiet account may take any free slot.
 * - An account below its share, `concurrency / (backlogs + 1)` slots, may too: a tenant with a
 *   few requests in flight is not held back by those that hold many.
 * - Any other account leaves a reserve of `concurrency / (backlogs + 2)` slots free (at least
 *   one, and never every slot).
 *
 * So tenants whose receivers hold every request for the whole `webhook.timeout` never hold every
 * slot, and another tenant's messages wait for none of them. A hundred accounts draining
 * backlogs into fast receivers (a share below one slot) keep all but one slot busy, and the
 * account whose turn it is takes the freed slots, so its deliveries finish together and their
 * acks share a write: when the last slot went to whichever account had nothing in flight, acks
 * spread over a hundred connections and nats-server spent twice the CPU per message.
 */
export interface SlotShare {
  readonly share: number;
  readonly reserve: number;
}

export function slotShare(concurrency: number, backlogs: number): SlotShare {
  const accounts = Math.max(1, backlogs);
  const reserve = Math.max(1, Math.floor(concurrency / (accounts + 2)));
  return {
    share: Math.floor(concurrency / (accounts + 1)),
    // With `delivery.concurrency` 1 there is nothing to keep back.
    reserve: Math.min(reserve, concurrency - 1),
  };
}

/** Whether an account may take a slot now that `free` are free. */
export function mayTakeSlot(
  account: { readonly quiet: boolean; readonly held: number },
  free: number,
  { share, reserve }: SlotShare,
): boolean {
  return free > 0 && (account.quiet || account.held < share || free > reserve);
}
