/**
 * Delivery slots kept for quiet accounts. The queue serves an account that had nothing queued
 * before the accounts with a backlog, which take turns (see FairQueue). `competing` counts the
 * accounts with messages waiting or requests in flight.
 *
 * - A quiet account with nothing in flight may take any free slot.
 * - Any other account below its share, `concurrency / (competing + 1)` slots, leaves the quiet
 *   reserve free: half the reserve, at least one slot. A tenant with a few requests in flight is
 *   thus not held back by those that hold many.
 * - Any other account leaves the reserve, `concurrency / (competing + 2)` slots (at least one, and
 *   never every slot).
 *
 * So tenants whose receivers hold every request for the whole `webhook.timeout` never hold every
 * slot, and another tenant's messages wait for none of them. Nothing queued is not enough to be
 * quiet: an account pulling batch by batch has nothing queued between two batches, and one whose
 * failed messages come back one by one has nothing queued at each, so tenants with backlogs
 * behind slow receivers, and tenants whose receivers stall, took every slot that way while a
 * quiet tenant's events waited two seconds for one. Nor is being below a share: it shrinks as
 * more accounts queue messages, and accounts still below it filled the reserve.
 *
 * A hundred accounts draining backlogs into fast receivers (a share below one slot) keep all but
 * one slot busy, and the account whose turn it is takes the freed slots, so its deliveries finish
 * together and their acks share a write: when the last slot went to whichever account had
 * nothing in flight, acks spread over a hundred connections and nats-server spent twice the CPU
 * per message.
 */
export interface SlotShare {
  readonly share: number;
  readonly reserve: number;
  /** The part of the reserve that only quiet accounts may take. */
  readonly quietReserve: number;
}

export function slotShare(concurrency: number, competing: number): SlotShare {
  const accounts = Math.max(1, competing);
  // With `delivery.concurrency` 1 there is nothing to keep back.
  const reserve = Math.min(Math.max(1, Math.floor(concurrency / (accounts + 2))), concurrency - 1);
  return {
    share: Math.floor(concurrency / (accounts + 1)),
    reserve,
    quietReserve: Math.min(reserve, Math.max(1, Math.floor(reserve / 2))),
  };
}

/** Whether an account may take a slot now that `free` are free. */
export function mayTakeSlot(
  account: { readonly quiet: boolean; readonly held: number },
  free: number,
  { share, reserve, quietReserve }: SlotShare,
): boolean {
  if (account.quiet && account.held === 0) return free > 0;
  if (account.held < share) return free > quietReserve;
  return free > reserve;
}

/**
 * Whether an account that is not quiet could take a slot now that `free` are free, whatever it
 * holds: when not, only quiet accounts need to be asked.
 */
export function busyMayTake(free: number, { share, reserve, quietReserve }: SlotShare): boolean {
  return free > reserve || (share > 0 && free > quietReserve);
}
