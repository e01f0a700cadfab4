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
  /**
   * Items taken from one key in a row before the turn passes on. Default 1: strict round-robin.
   * A few in a row let deliveries that finish together share their account's connection, so
   * their acks leave in one write instead of one write per account.
   */
  readonly burst?: number;
  /**
   * Items one key may hold, however much room is left. Default: `capacity`. A message waits in
   * the queue until a delivery slot frees up, so a key holding far more than the worker can have
   * in flight only makes its messages older: they outlive the young generation, and the garbage
   * collector then copies and promotes every one of them.
   */
  readonly keyLimit?: number;
}

interface PendingPush<T> {
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
 *
 * A key also waits once it holds `keyLimit` items.
 *
 * Share: while several keys hold items, room goes to the keys below an even share of the
 * capacity first. Otherwise the accounts that started first keep most of the queue for as long
 * as they have a backlog, and the others hold one item each.
 */
export class FairQueue<T> {
  readonly #capacity: number;
  readonly #burst: number;
  readonly #keyLimit: number;
  readonly #byKey = new Map<string, Fifo<T>>();
  /** Keys with at least one item, in round-robin order. */
  #ring: string[] = [];
  #cursor = 0;
  /** The key whose turn it is, and how many items it has had in this turn. */
  #turnKey: string | undefined;
  #turnTaken = 0;
  #size = 0;
  #closed = false;
  /** Pushes waiting for room, per key. */
  readonly #pushes = new Map<string, Fifo<PendingPush<T>>>();
  /**
   * Keys with waiting pushes that hold less than their share, in the order they get room. Keys
   * at or over their share wait in `#capped` until they hold less or the share grows. Every
   * admission is therefore O(1), however many accounts wait on a full queue.
   */
  readonly #rotation = new Set<string>();
  readonly #capped = new Set<string>();
  #readers: (() => void)[] = [];

  constructor(options: FairQueueOptions) {
    if (!Number.isInteger(options.capacity) || options.capacity < 1) {
      throw new RangeError("capacity must be a positive integer");
    }
    const burst = options.burst ?? 1;
    if (!Number.isInteger(burst) || burst < 1) {
      throw new RangeError("burst must be a positive integer");
    }
    const keyLimit = options.keyLimit ?? options.capacity;
    if (!Number.isInteger(keyLimit) || keyLimit < 1) {
      throw new RangeError("keyLimit must be a positive integer");
    }
    this.#capacity = options.capacity;
    this.#burst = burst;
    this.#keyLimit = keyLimit;
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
   * Adds an item, waiting while the queue is full or the key holds its share. Rejects when the
   * queue closes or its key is removed meanwhile (see `removeKey`).
   */
  push(key: string, item: T): Promise<void> {
    if (this.#closed) return Promise.reject(new QueueClosedError());
    // Items of one key keep their order: a key with a push already waiting queues behind it.
    let waiting = this.#pushes.get(key);
    if ((waiting === undefined || waiting.length === 0) && this.#admits(key)) {
      this.#insert(key, item);
      return Promise.resolve();
    }
    if (waiting === undefined) {
      // Kept while the key exists, empty or not: a pull loop waits on almost every push.
      waiting = new Fifo<PendingPush<T>>();
      this.#pushes.set(key, waiting);
    }
    const fifo = waiting;
    return new Promise<void>((resolve, reject) => {
      fifo.push({ item, resolve, reject });
      if (fifo.length === 1) this.#enqueueTurn(key);
    });
  }

  /**
   * Takes the next item round-robin among keys for which `eligible` is true (up to `burst` in a
   * row from one key), or undefined when none is available now.
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
      if (key !== this.#turnKey) {
        this.#turnKey = key;
        this.#turnTaken = 0;
      }
      this.#turnTaken++;
      if (fifo.length === 0) {
        this.#byKey.delete(key);
        this.#ring.splice(index, 1);
        this.#cursor = count > 1 ? index % (count - 1) : 0;
        this.#turnKey = undefined;
        // A key that holds nothing may always add one item, full queue or not.
        this.#admitOne(key);
        // Fewer keys hold items: the share of those waiting may have grown.
        this.#uncap();
      } else {
        this.#cursor = this.#turnTaken < this.#burst ? index : (index + 1) % count;
        if (this.#capped.has(key) && fifo.length < this.#share()) {
          this.#capped.delete(key);
          this.#rotation.add(key);
        }
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
      if (this.#turnKey === key) this.#turnKey = undefined;
      this.#size -= items.length;
    }
    const waiting = this.#pushes.get(key);
    if (waiting !== undefined) {
      this.#pushes.delete(key);
      this.#endTurns(key);
      for (const pending of waiting.clear()) pending.reject(new QueueClosedError());
    }
    this.#uncap();
    this.#admitWaiting();
    return items;
  }

  /**
   * Closes the queue: pushes reject from now on, readers wake, and every held item is returned so
   * that the caller can give it back to the broker.
   */
  close(): T[] {
    this.#closed = true;
    for (const waiting of this.#pushes.values()) {
      for (const pending of waiting.clear()) pending.reject(new QueueClosedError());
    }
    this.#pushes.clear();
    this.#rotation.clear();
    this.#capped.clear();
    const held: T[] = [];
    for (const key of [...this.#ring]) held.push(...this.removeKey(key));
    this.wake();
    return held;
  }

  /** An even split of the capacity among the keys holding items, up to the key limit. */
  #share(): number {
    const even = Math.max(1, Math.ceil(this.#capacity / Math.max(1, this.#ring.length)));
    return Math.min(even, this.#keyLimit);
  }

  #admits(key: string): boolean {
    const held = this.sizeOf(key);
    return held === 0 || (this.#size < this.#capacity && held < this.#share());
  }

  #insert(key: string, item: T): void {
    let fifo = this.#byKey.get(key);
    if (fifo === undefined) {
      fifo = new Fifo<T>();
      this.#byKey.set(key, fifo);
      // At the back of the line, which in a ring is just before the cursor. Appending to the
      // array instead let keys that empty and refill on every take circle between the cursor
      // and the end of the array, and the keys before the cursor never had a turn again.
      this.#ring.splice(this.#cursor, 0, key);
      this.#cursor = (this.#cursor + 1) % this.#ring.length;
    }
    fifo.push(item);
    this.#size++;
    this.wake();
  }

  /** Puts a key with waiting pushes at the back of the rotation, or with the capped ones. */
  #enqueueTurn(key: string): void {
    this.#rotation.delete(key);
    this.#capped.delete(key);
    if (this.sizeOf(key) < this.#share()) this.#rotation.add(key);
    else this.#capped.add(key);
  }

  /** Takes a key out of the rotation once it has no waiting push. */
  #endTurns(key: string): void {
    this.#rotation.delete(key);
    this.#capped.delete(key);
  }

  /** Moves capped keys that are now below their share back into the rotation. */
  #uncap(): void {
    if (this.#capped.size === 0) return;
    const share = this.#share();
    for (const key of this.#capped) {
      if (this.sizeOf(key) < share) {
        this.#capped.delete(key);
        this.#rotation.add(key);
      }
    }
  }

  /** Admits waiting pushes while there is room, one key after another. */
  #admitWaiting(): void {
    while (!this.#closed && this.#size < this.#capacity) {
      const key = this.#rotation.values().next().value;
      if (key === undefined) return;
      // A key over its share (more keys hold items since it started waiting) waits capped.
      if (!this.#admitOne(key)) this.#enqueueTurn(key);
    }
  }

  /** Admits the oldest waiting push of `key` if there is one and it fits; true if it did. */
  #admitOne(key: string): boolean {
    const waiting = this.#pushes.get(key);
    if (this.#closed || waiting === undefined || waiting.length === 0 || !this.#admits(key)) {
      return false;
    }
    const pending = waiting.shift();
    if (pending === undefined) return false;
    this.#insert(key, pending.item);
    // Requeued at the back, so keys with several waiting pushes take turns.
    if (waiting.length === 0) this.#endTurns(key);
    else this.#enqueueTurn(key);
    pending.resolve();
    return true;
  }
}
