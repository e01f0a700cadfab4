import { Fifo } from "./fifo.js";

export class QueueClosedError extends Error {
  override readonly name = "QueueClosedError";
  constructor() {
    super("the queue is closed");
  }
}

export interface FairQueueOptions {
  /** Items held across all keys before producers wait. */
  readonly capacity: number;
}

interface PendingPush<T> {
  readonly key: string;
  readonly item: T;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

/**
 * The merge point of every account's pull loop: a bounded queue with one FIFO per key (account)
 * that hands items out round-robin across keys. A backlog in one key therefore never makes
 * another key's new items wait behind it, and a key whose in-flight limit is reached is skipped
 * rather than blocking the others.
 *
 * Bound: producers wait once `capacity` items are held, except that a key holding nothing may
 * always add one item. Without that exception one busy account could fill the queue and starve a
 * quiet one; with it the queue holds at most `capacity + keys` items.
 */
export class FairQueue<T> {
  readonly #capacity: number;
  readonly #byKey = new Map<string, Fifo<T>>();
  /** Keys with at least one item, in round-robin order. */
  #ring: string[] = [];
  #cursor = 0;
  #size = 0;
  #closed = false;
  /**
   * Pushes waiting for room, by key in the order keys started waiting. A key is here only while
   * it has a waiting push, so every check is O(1) however many accounts wait on a full queue.
   */
  readonly #waiting = new Map<string, Fifo<PendingPush<T>>>();
  #readers: (() => void)[] = [];

  constructor(options: FairQueueOptions) {
    if (!Number.isInteger(options.capacity) || options.capacity < 1) {
      throw new RangeError("capacity must be a positive integer");
    }
    this.#capacity = options.capacity;
  }

  get size(): number {
    return this.#size;
  }

  get closed(): boolean {
    return this.#closed;
  }

  sizeOf(key: string): number {
    return this.#byKey.get(key)?.length ?? 0;
  }

  /**
   * Adds an item, waiting while the queue is full. Rejects when the queue closes or its key is
   * removed meanwhile (see `removeKey`).
   */
  push(key: string, item: T): Promise<void> {
    if (this.#closed) return Promise.reject(new QueueClosedError());
    // Items of one key keep their order: a key with a push already waiting queues behind it.
    const waiting = this.#waiting.get(key);
    if (waiting === undefined && this.#admits(key)) {
      this.#insert(key, item);
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const pending = { key, item, resolve, reject };
      if (waiting !== undefined) waiting.push(pending);
      else {
        const fifo = new Fifo<PendingPush<T>>();
        fifo.push(pending);
        this.#waiting.set(key, fifo);
      }
    });
  }

  /**
   * Takes the next item round-robin among keys for which `eligible` is true, or undefined when
   * none is available now.
   */
  tryTake(eligible: (key: string) => boolean = () => true): { key: string; item: T } | undefined {
    const count = this.#ring.length;
    for (let step = 0; step < count; step++) {
      const index = (this.#cursor + step) % count;
      const key = this.#ring[index];
      if (key === undefined || !eligible(key)) continue;
      const fifo = this.#byKey.get(key);
      const item = fifo?.shift();
      if (fifo === undefined || item === undefined) continue;
      this.#size--;
      if (fifo.length === 0) {
        this.#byKey.delete(key);
        this.#ring.splice(index, 1);
        this.#cursor = count > 1 ? index % (count - 1) : 0;
        // A key that holds nothing may always add one item, full queue or not.
        this.#admitOne(key);
      } else {
        this.#cursor = (index + 1) % count;
      }
      this.#admitWaiting();
      return { key, item };
    }
    return undefined;
  }

  /**
   * Resolves on the next change that could make an item takeable: a push, a `wake()`, or close.
   * The caller loops over `tryTake`; waking is cheap, so spurious wake-ups are fine. It takes no
   * abort signal: a listener per wait was a measurable cost, so a reader that must stop calls
   * `wake()` from its own abort handler instead.
   */
  changed(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.#readers.push(resolve);
    });
  }

  /** Tells waiting readers to look again, e.g. after an in-flight limit freed up. */
  wake(): void {
    const readers = this.#readers;
    if (readers.length === 0) return;
    this.#readers = [];
    for (const reader of readers) reader();
  }

  /** Removes and returns every item held for `key` (and its waiting pushes, which reject). */
  removeKey(key: string): T[] {
    const fifo = this.#byKey.get(key);
    const items = fifo?.clear() ?? [];
    if (fifo !== undefined) {
      this.#byKey.delete(key);
      const index = this.#ring.indexOf(key);
      this.#ring.splice(index, 1);
      if (this.#cursor > index) this.#cursor--;
      if (this.#cursor >= this.#ring.length) this.#cursor = 0;
      this.#size -= items.length;
    }
    const waiting = this.#waiting.get(key);
    if (waiting !== undefined) {
      this.#waiting.delete(key);
      for (const pending of waiting.clear()) pending.reject(new QueueClosedError());
    }
    this.#admitWaiting();
    return items;
  }

  /**
   * Closes the queue: pushes reject from now on, readers wake, and every held item is returned so
   * that the caller can give it back to the broker.
   */
  close(): T[] {
    this.#closed = true;
    for (const waiting of this.#waiting.values()) {
      for (const pending of waiting.clear()) pending.reject(new QueueClosedError());
    }
    this.#waiting.clear();
    const held: T[] = [];
    for (const key of [...this.#ring]) held.push(...this.removeKey(key));
    this.wake();
    return held;
  }

  #admits(key: string): boolean {
    return this.#size < this.#capacity || !this.#byKey.has(key);
  }

  #insert(key: string, item: T): void {
    let fifo = this.#byKey.get(key);
    if (fifo === undefined) {
      fifo = new Fifo<T>();
      this.#byKey.set(key, fifo);
      this.#ring.push(key);
    }
    fifo.push(item);
    this.#size++;
    this.wake();
  }

  /** Admits waiting pushes while there is room, one key after another. */
  #admitWaiting(): void {
    while (!this.#closed && this.#size < this.#capacity) {
      const key = this.#waiting.keys().next().value;
      if (key === undefined || !this.#admitOne(key)) return;
    }
  }

  /** Admits the oldest waiting push of `key` if there is one and it fits; true if it did. */
  #admitOne(key: string): boolean {
    const waiting = this.#waiting.get(key);
    if (this.#closed || waiting === undefined || !this.#admits(key)) return false;
    const pending = waiting.shift();
    // Requeued at the back, so keys with several waiting pushes take turns.
    this.#waiting.delete(key);
    if (waiting.length > 0) this.#waiting.set(key, waiting);
    if (pending === undefined) return false;
    this.#insert(key, pending.item);
    pending.resolve();
    return true;
  }
}
