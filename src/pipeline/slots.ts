/**
 * A set of objects kept in numbered slots: `add` says which slot an item got, and its owner hands
 * that number back to remove it. No hash table is involved, so nothing is rehashed.
 *
 * Why not a `Set` or `Map`: tracking every request in flight in a `Map`, and every held message in
 * a `Set`, made the garbage collector promote most of each request's objects to the old
 * generation (see bench/findings.md, "Twelfth round"). The slots of an array are cleared in place
 * and reused; the array only grows, to the most items held at once.
 */
export class Slots<T extends object> {
  #items: (T | undefined)[] = [];
  readonly #free: number[] = [];
  #size = 0;

  get size(): number {
    return this.#size;
  }

  /** Stores the item and returns its slot. */
  add(item: T): number {
    const slot = this.#free.pop() ?? this.#items.length;
    this.#items[slot] = item;
    this.#size++;
    return slot;
  }

  /**
   * Empties the slot if it still holds `item`: a slot released twice, or reused by another item
   * since, is left alone. Returns whether it removed the item.
   */
  delete(slot: number, item: T): boolean {
    if (this.#items[slot] !== item) return false;
    this.#items[slot] = undefined;
    this.#free.push(slot);
    this.#size--;
    return true;
  }

  /** Calls `fn` for every item held when the call began; `fn` may add or delete items. */
  forEach(fn: (item: T) => void): void {
    const end = this.#items.length;
    for (let slot = 0; slot < end; slot++) {
      const item = this.#items[slot];
      if (item !== undefined) fn(item);
    }
  }

  clear(): void {
    this.#items = [];
    this.#free.length = 0;
    this.#size = 0;
  }
}
