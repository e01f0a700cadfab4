import { Slots } from "./slots.js";

/** The part of a JetStream message that tells the server "still working on it". */
export interface Workable {
  working(): void;
}

export interface HeldMessages {
  /** Tracks a message until `release` (once it is settled or handed back); returns its slot. */
  hold(msg: Workable): number;
  /** Stops tracking the message held in `slot`; a second release of the same slot does nothing. */
  release(slot: number, msg: Workable): void;
  readonly size: number;
  /** Stops the progress signals; held messages are settled or nak'd by their owners. */
  close(): void;
}

/**
 * Keeps every message the daemon holds (waiting in its queue, or in flight) from reaching the
 * consumer's `ack_wait`: a slow receiver or a full queue must never cause a redelivery, and so a
 * duplicate. Every held message gets `working()` at a third of `ack_wait`, which leaves two
 * chances before the server would give up on it.
 */
function working(msg: Workable): void {
  try {
    msg.working();
  } catch {
    // The connection is gone; the session that owns the message is ending anyway.
  }
}

export function createHeldMessages(ackWaitMs: number): HeldMessages {
  const held = new Slots<Workable>();
  const everyMs = Math.max(250, Math.floor(ackWaitMs / 3));
  // Runs only while something is held: a thousand idle accounts must not wake up for nothing.
  let timer: NodeJS.Timeout | undefined;
  const signal = (): void => {
    held.forEach(working);
  };
  const stop = (): void => {
    clearInterval(timer);
    timer = undefined;
  };
  return {
    hold(msg) {
      const slot = held.add(msg);
      if (timer === undefined) {
        timer = setInterval(signal, everyMs);
        timer.unref();
      }
      return slot;
    },
    release(slot, msg) {
      if (held.delete(slot, msg) && held.size === 0) stop();
    },
    get size() {
      return held.size;
    },
    close() {
      stop();
      held.clear();
    },
  };
}
