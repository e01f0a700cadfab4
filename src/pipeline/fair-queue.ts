import { Fifo } from "./fifo.js";

export class QueueClosedError extends Error {
  override readonly name = "QueueClosedError";
  constructor() {
    super("the queue is closed");
  }
}

export interface FairQueueOptions<T = unknown> {
  /** Items held across all keys before producers wait. */
  readonly capacity: number;
  /**
   * Items taken from one key in a row before the turn passes on, and the share of takes a key
   * may have out of turn (see `FairQueue`). Default 1: strict round-robin. A few in a row let
   * deliveries that finish together share their account's connection, so their acks leave in
   * one write instead of one write per account.
   */
  readonly burst?: number;
  /**
   * Items one key may hold, however much room is left. Default: `capacity`. A message waits in
   * the queue until a delivery slot frees up, so a key holding far more than the worker can have
   * in flight only makes its messages older: they outlive the young generation, and the garbage
   * collector then copies and promotes every one of them.
   */
  readonly keyLimit?: number;
  /**
   * Bytes held across all keys before producers wait, as `bytesOf` counts them. Default: no byte
   * bound. The same exception holds as for `capacity`: a key holding nothing may add one item.
   * An item's bytes stay counted after it is taken, until `release(item)`: a message in flight
   * takes as much memory as one waiting, twice as much with its request body.
   */
  readonly capacityBytes?: number;
  readonly bytesOf?: (item: T) => number;
  /**
   * What taking an item costs a key's turn, at least 1. Default 1: turns are counted in items.
   * Counted in units of work instead, a key whose items are expensive to deliver takes fewer of
   * them per turn, and the keys after it do not wait for a whole turn of its costly items.
   */
  readonly costOf?: (item: T) => number;
}

interface PendingPush<T> {
  readonly item: T;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

/** What the queue knows about one key, kept until the key is removed. */
interface KeyState<T> {
  readonly items: Fifo<T>;
  /** Where the key waits for its next take; `idle` while it holds nothing. */
  place: "idle" | "fresh" | "ring";
  /** The queue's take counter at the key's first take of its current share window. */
  since: number;
  /** Items taken from the key in that window. */
  taken: number;
  /**
   * What the key may still take in its ring turn, in `costOf` units: topped up by `burst` when
   * its turn comes, below zero when it took items of its next turn early.
   */
  credit: number;
}

/**
 * The merge point of every account's pull loop: a bounded queue with one FIFO per key (account)
 * that hands items out round-robin across keys. A backlog in one key therefore never makes
 * another key's new items wait behind it, and a key whose in-flight limit is reached is skipped
 * rather than blocking the others.
 *
 * Turns: keys with a backlog take turns of up to `burst` items (deficit round-robin). A key that
 * takes an item gets its room back first, for its own next waiting item, so its turn lasts the
 * whole burst however few items it holds. While the key whose turn it is cannot take (its
 * in-flight limit), the keys after it take items of their next turn early, each up to one turn's
 * worth, and have that much less when their turn comes. Once all that can take have done so, the
 * turn passes on.
 *
 * Quiet keys first: a key that gets an item while it holds nothing has that item taken before
 * the keys taking turns (as fq_codel serves new flows), unless it has already had its share of
 * the recent takes: `burst` items in the last `burst` takes per key holding items. A quiet
 * account's message thus waits for a free delivery slot, not for a round of long turns, while a
 * busy account whose items happen to run out now and then gets at most about twice its share.
 *
 * Bound: producers wait once `capacity` items (or `capacityBytes` bytes) are held, except that a
 * key holding nothing may always add one item. Without that exception one busy account could
 * fill the queue and starve a quiet one; with it the queue holds at most `capacity + keys` items,
 * and `capacityBytes` plus one item per key.
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
  readonly #keys = new Map<string, KeyState<T>>();
  /** Keys served before the ring, in the order they got their first item. */
  readonly #fresh = new Set<string>();
  /** Keys taking turns, in round-robin order. Every key here or in `#fresh` holds items. */
  #ring: string[] = [];
  #cursor = 0;
  /** Keys holding at least one item. */
  #holding = 0;
  /** Items taken so far: the clock of the keys' share windows. */
  #takes = 0;
  #size = 0;
  readonly #capacityBytes: number;
  readonly #bytesOf: (item: T) => number;
  #bytes = 0;
  readonly #costOf: (item: T) => number;
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

  constructor(options: FairQueueOptions<T>) {
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
    this.#capacityBytes = options.capacityBytes ?? Number.POSITIVE_INFINITY;
    this.#bytesOf = options.bytesOf ?? (() => 0);
    this.#costOf = options.costOf ?? (() => 1);
  }

  get size(): number {
    return this.#size;
  }

  /** Bytes held, as `bytesOf` counts them: items queued, and items taken but not yet released. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Gives back the bytes of an item taken earlier, once the taker is done with it. */
  release(item: T): void {
    const bytes = this.#bytesOf(item);
    if (bytes === 0) return;
    this.#bytes -= bytes;
    this.#admitWaiting();
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Keys holding at least one item. */
  get keysHolding(): number {
    return this.#holding;
  }

  sizeOf(key: string): number {
    return this.#keys.get(key)?.items.length ?? 0;
  }

  /**
   * Adds an item if there is room for it now, as `push` would without waiting; false when it
   * would have to wait (or the queue is closed), and the item is then not added.
   */
  tryPush(key: string, item: T): boolean {
    if (this.#closed) return false;
    // Items of one key keep their order: a key with a push already waiting queues behind it.
    const waiting = this.#pushes.get(key);
    if ((waiting === undefined || waiting.length === 0) && this.#admits(key)) {
      this.#insert(key, item);
      return true;
    }
    return false;
  }

  /**
   * Adds an item, waiting while the queue is full or the key holds its share. Rejects when the
   * queue closes or its key is removed meanwhile (see `removeKey`).
   */
  push(key: string, item: T): Promise<void> {
    if (this.#closed) return Promise.reject(new QueueClosedError());
    if (this.tryPush(key, item)) return Promise.resolve();
    let waiting = this.#pushes.get(key);
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
   * Takes the next item of a key for which `eligible(key, oldest, quiet)` is true, `oldest`
   * being the item that would be taken and `quiet` whether the key is a quiet one, served before
   * the turns: a quiet key's first, or else the next in the ring's turns. Undefined when none is
   * available now. With `from` "quiet", only quiet keys are looked at: the caller knows that no
   * key taking turns could take now, and the pass over them all would find nothing.
   */
  tryTake(
    eligible: (key: string, oldest: T, quiet: boolean) => boolean = () => true,
    from: "any" | "quiet" = "any",
  ): { key: string; item: T } | undefined {
    if (this.#fresh.size > 0) {
      for (const key of this.#fresh) {
        const state = this.#keys.get(key);
        if (state !== undefined && eligible(key, state.items.peek() as T, true)) {
          return { key, item: this.#takeFresh(key, state) };
        }
      }
    }
    if (from === "quiet") return undefined;
    for (;;) {
      let spent = false;
      const count = this.#ring.length;
      for (let step = 0; step < count; step++) {
        const index = (this.#cursor + step) % count;
        const key = this.#ring[index];
        const state = key === undefined ? undefined : this.#keys.get(key);
        if (
          key === undefined ||
          state === undefined ||
          !eligible(key, state.items.peek() as T, false)
        ) {
          continue;
        }
        if (state.credit > -this.#burst) return { key, item: this.#takeTurn(key, state, index) };
        spent = true;
      }
      if (!spent) break;
      // The turn's key has not taken anything for a whole turn of every other key (its
      // receiver's breaker is open, say): its turn ends, or the ring would stall behind it.
      const turnKey = this.#ring[this.#cursor];
      const turn = turnKey === undefined ? undefined : this.#keys.get(turnKey);
      if (turn !== undefined) turn.credit = Math.min(0, turn.credit);
      this.#cursor = (this.#cursor + 1) % count;
      this.#beginTurn();
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
    const state = this.#keys.get(key);
    const items = state?.items.clear() ?? [];
    if (state !== undefined) {
      this.#keys.delete(key);
      if (state.place === "fresh") this.#fresh.delete(key);
      if (state.place === "ring") this.#leaveRing(state, this.#ring.indexOf(key));
      if (state.place !== "idle") this.#holding--;
      this.#size -= items.length;
      for (const item of items) this.#bytes -= this.#bytesOf(item);
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
    for (const key of [...this.#keys.keys()]) held.push(...this.removeKey(key));
    this.wake();
    return held;
  }

  #takeFresh(key: string, state: KeyState<T>): T {
    const item = this.#take(key, state);
    this.#fresh.delete(key);
    // One item out of turn, not a burst: a key with more to take has a backlog, and a backlog
    // waits for its turn. A burst here made a quiet key that came next wait for all of it.
    if (state.items.length === 0) this.#becomeIdle(state);
    else this.#joinRing(key, state);
    this.#admitWaiting();
    return item;
  }

  #takeTurn(key: string, state: KeyState<T>, index: number): T {
    const item = this.#take(key, state);
    state.credit -= Math.max(1, this.#costOf(item));
    const itsTurn = index === this.#cursor;
    if (state.items.length === 0) {
      this.#leaveRing(state, index);
      this.#becomeIdle(state);
    } else if (itsTurn && state.credit <= 0) {
      this.#cursor = (this.#cursor + 1) % this.#ring.length;
      this.#beginTurn();
    }
    this.#admitWaiting();
    return item;
  }

  /** Takes a key's oldest item, counts it against the key's share, and gives the key its room. */
  #take(key: string, state: KeyState<T>): T {
    const item = state.items.shift() as T;
    this.#size--;
    this.#takes++;
    if (this.#windowOver(state)) {
      // A window starts with a take, not with an item's arrival: a key that waited for the
      // others' turns has not had its share meanwhile.
      state.since = this.#takes;
      state.taken = 0;
    }
    state.taken++;
    // The key's next waiting item takes the place of this one, before any other key's: its turn
    // then goes on for as long as its producer keeps up. A key over its share gets nothing here.
    this.#admitOne(key);
    this.#uncapKey(key, this.#share());
    return item;
  }

  #state(key: string): KeyState<T> {
    let state = this.#keys.get(key);
    if (state === undefined) {
      state = {
        items: new Fifo<T>(),
        place: "idle",
        since: Number.NEGATIVE_INFINITY,
        taken: 0,
        credit: 0,
      };
      this.#keys.set(key, state);
    }
    return state;
  }

  /** Whether the key may be served out of turn: it has not had its share of the recent takes. */
  #hasCredit(state: KeyState<T>): boolean {
    return state.taken < this.#burst || this.#windowOver(state);
  }

  #windowOver(state: KeyState<T>): boolean {
    return this.#takes - state.since >= this.#burst * Math.max(1, this.#holding);
  }

  /** At the back of the line, which in a ring is just before the cursor. */
  #joinRing(key: string, state: KeyState<T>): void {
    state.place = "ring";
    // Appending to the array instead let keys that empty and refill on every take circle between
    // the cursor and the end of the array, and the keys before the cursor never had a turn again.
    this.#ring.splice(this.#cursor, 0, key);
    this.#cursor = (this.#cursor + 1) % this.#ring.length;
    if (this.#ring.length === 1) this.#beginTurn();
  }

  #leaveRing(state: KeyState<T>, index: number): void {
    const itsTurn = index === this.#cursor;
    this.#ring.splice(index, 1);
    // What it took early stays counted; what is left of its turn is not kept for later.
    state.credit = Math.min(0, state.credit);
    if (this.#cursor > index) this.#cursor--;
    if (this.#cursor >= this.#ring.length) this.#cursor = 0;
    // The key after it slid into its place.
    if (itsTurn && this.#ring.length > 0) this.#beginTurn();
  }

  /**
   * Gives the key at the cursor its turn: `burst` more items. A key that already took a whole
   * turn early is passed over, its turn spent.
   */
  #beginTurn(): void {
    for (let passes = 0; passes <= this.#ring.length; passes++) {
      const key = this.#ring[this.#cursor];
      const state = key === undefined ? undefined : this.#keys.get(key);
      if (state === undefined) return;
      state.credit += this.#burst;
      if (state.credit > 0) return;
      this.#cursor = (this.#cursor + 1) % this.#ring.length;
    }
  }

  #becomeIdle(state: KeyState<T>): void {
    state.place = "idle";
    this.#holding--;
    // Fewer keys hold items: the share of those waiting may have grown.
    this.#uncap();
  }

  /** An even split of the capacity among the keys holding items, up to the key limit. */
  #share(): number {
    const even = Math.max(1, Math.ceil(this.#capacity / Math.max(1, this.#holding)));
    return Math.min(even, this.#keyLimit);
  }

  #admits(key: string): boolean {
    const held = this.sizeOf(key);
    return held === 0 || (this.#hasRoom() && held < this.#share());
  }

  #hasRoom(): boolean {
    return this.#size < this.#capacity && this.#bytes < this.#capacityBytes;
  }

  #insert(key: string, item: T): void {
    const state = this.#state(key);
    if (state.place === "idle") {
      this.#holding++;
      if (this.#hasCredit(state)) {
        state.place = "fresh";
        this.#fresh.add(key);
      } else {
        this.#joinRing(key, state);
      }
    }
    state.items.push(item);
    this.#size++;
    this.#bytes += this.#bytesOf(item);
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
    for (const key of this.#capped) this.#uncapKey(key, share);
  }

  #uncapKey(key: string, share: number): void {
    if (this.#capped.has(key) && this.sizeOf(key) < share) {
      this.#capped.delete(key);
      this.#rotation.add(key);
    }
  }

  /** Admits waiting pushes while there is room, one key after another. */
  #admitWaiting(): void {
    while (!this.#closed && this.#hasRoom()) {
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
