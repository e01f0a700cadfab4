import assert from "node:assert/strict";
import { test } from "node:test";
import { Slots } from "../../src/pipeline/slots.js";

const items = (slots: Slots<{ n: number }>): number[] => {
  const seen: number[] = [];
  slots.forEach((item) => seen.push(item.n));
  return seen.sort((x, y) => x - y);
};

test("slots hold items until deleted, and reuse freed slots", () => {
  const slots = new Slots<{ n: number }>();
  const a = { n: 1 };
  const b = { n: 2 };
  const c = { n: 3 };
  const slotA = slots.add(a);
  const slotB = slots.add(b);
  assert.notEqual(slotA, slotB);
  assert.equal(slots.size, 2);
  assert.deepEqual(items(slots), [1, 2]);

  assert.equal(slots.delete(slotA, a), true);
  assert.equal(slots.size, 1);
  assert.deepEqual(items(slots), [2]);

  // The freed slot goes to the next item instead of growing the array.
  assert.equal(slots.add(c), slotA);
  assert.deepEqual(items(slots), [2, 3]);
});

test("a stale slot number removes nothing", () => {
  const slots = new Slots<{ n: number }>();
  const a = { n: 1 };
  const b = { n: 2 };
  const slotA = slots.add(a);
  assert.equal(slots.delete(slotA, a), true);
  // Deleted twice: the second is refused, and the free list does not get the slot twice.
  assert.equal(slots.delete(slotA, a), false);
  const slotB = slots.add(b);
  assert.equal(slotB, slotA);
  // The old owner's number now names b's slot: it must not remove b.
  assert.equal(slots.delete(slotA, a), false);
  assert.equal(slots.size, 1);
  const c = { n: 3 };
  assert.notEqual(slots.add(c), slotB, "the slot was handed out once, not twice");
  assert.deepEqual(items(slots), [2, 3]);
});

test("forEach may delete and add while it runs", () => {
  const slots = new Slots<{ n: number }>();
  const held = [1, 2, 3, 4].map((n) => ({ n, slot: -1 }));
  for (const item of held) item.slot = slots.add(item);
  const visited: number[] = [];
  slots.forEach((item) => {
    visited.push(item.n);
    const entry = held.find((h) => h.n === item.n);
    if (entry !== undefined && item.n % 2 === 0) slots.delete(entry.slot, entry);
  });
  assert.deepEqual(visited, [1, 2, 3, 4]);
  assert.deepEqual(items(slots), [1, 3]);
  slots.clear();
  assert.equal(slots.size, 0);
  assert.deepEqual(items(slots), []);
});
