import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { mayTakeSlot, slotShare } from "../../src/delivery/fair-share.js";

/**
 * Hands out slots the way the worker does to accounts with a backlog: in turn, one slot at a
 * time, each taking while it may (and while its own limit allows), until nobody can take more.
 * Slots are never given back: the accounts' receivers hold them for the whole timeout.
 */
function fill(concurrency: number, accountLimit: number, accounts: number): number[] {
  const held = new Array<number>(accounts).fill(0);
  const share = slotShare(concurrency, accounts);
  for (let progress = true; progress;) {
    progress = false;
    for (let i = 0; i < held.length; i++) {
      const free = concurrency - held.reduce((a, b) => a + b, 0);
      const mine = held[i] ?? 0;
      if (mine < accountLimit && mayTakeSlot({ quiet: false, held: mine }, free, share)) {
        held[i] = mine + 1;
        progress = true;
      }
    }
  }
  return held;
}

const sum = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0);
const busy = (held: number) => ({ quiet: false, held });

describe("slots kept for quiet accounts", () => {
  test("the share and the reserve", () => {
    assert.deepEqual(slotShare(64, 0), { share: 32, reserve: 21 });
    assert.deepEqual(slotShare(64, 2), { share: 21, reserve: 16 });
    assert.deepEqual(slotShare(64, 6), { share: 9, reserve: 8 });
    assert.deepEqual(slotShare(64, 100), { share: 0, reserve: 1 });
    assert.deepEqual(slotShare(1, 5), { share: 0, reserve: 0 }, "one slot is never kept back");
  });

  test("quiet accounts and accounts below their share take any free slot", () => {
    const s = slotShare(64, 6);
    assert.equal(mayTakeSlot({ quiet: true, held: 30 }, 1, s), true);
    assert.equal(mayTakeSlot(busy(2), 1, s), true);
    assert.equal(mayTakeSlot({ quiet: true, held: 0 }, 0, s), false, "no free slot at all");
  });

  test("the others leave the reserve", () => {
    const s = slotShare(64, 6);
    assert.equal(mayTakeSlot(busy(9), 9, s), true);
    assert.equal(mayTakeSlot(busy(9), 8, s), false);
  });

  test("accounts with backlogs behind slow receivers never hold every slot", () => {
    for (const slow of [1, 2, 3, 5, 10, 30, 62, 200]) {
      const held = sum(fill(64, 32, slow));
      assert.ok(held < 64, `${String(slow)} slow accounts hold ${String(held)}`);
    }
  });

  test("one account alone leaves the reserve; two slow ones leave at least a quarter", () => {
    assert.deepEqual(fill(64, 64, 1), [43]);
    assert.ok(64 - sum(fill(64, 32, 2)) >= 16);
  });

  test("with a single slot, an account with a backlog still gets it", () => {
    assert.deepEqual(fill(1, 32, 1), [1]);
  });

  test("a hundred accounts draining backlogs keep all but one slot busy", () => {
    assert.equal(sum(fill(64, 32, 100)), 63);
  });
});
