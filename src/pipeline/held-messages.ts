/** The part of a JetStream message that tells the server "still working on it". */
export interface Workable {
  working(): void;
}

export interface HeldMessages {
  /** Tracks a message until the returned function is called (once it is settled). */
  hold(msg: Workable): () => void;
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
export function createHeldMessages(ackWaitMs: number): HeldMessages {
  const held = new Set<Workable>();
  const timer = setInterval(
    () => {
      for (const msg of held) {
        try {
          msg.working();
        } catch {
          // The connection is gone; the session that owns the message is ending anyway.
        }
      }
    },
    Math.max(250, Math.floor(ackWaitMs / 3)),
  );
  timer.unref();
  return {
    hold(msg) {
      held.add(msg);
      return () => {
        held.delete(msg);
      };
    },
    get size() {
      return held.size;
    },
    close() {
      clearInterval(timer);
      held.clear();
    },
  };
}
