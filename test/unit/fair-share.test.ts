import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { fairShare, mayTakeSlot } from "../../src/delivery/fair-share.js";

/**
 * Hands out slots the way the worker does: accounts in turn, one slot at a time, each taking
 * while it may (and while its own limit allows), until nobody can take more. Slots held are
 * never given back here: the accounts' receivers hold them for the whole timeout.
 */
function fill(
  concurrency: number,
  accountLimit: number,
  held: number[],
  active = held.length,
): number[] {
  const out = [...held];
  for (let progress = true; progress;) {
    progress = false;
    for (let i = 0; i < out.length; i++) {
      const free = concurrency - out.reduce((a, b) => a + b, 0);
      const mine = out[i] ?? 0;
      if (mine < accountLimit && mayTakeSlot(mine, fairShare(concurrency, active), free)) {
        out[i] = mine + 1;
        progress = true;
      }
    }
  }
  return out;
}

describe("fair share of delivery slots", () => {
  test("one account alone may use every slot its own limit allows", () => {
    assert.equal(fairShare(64, 1), 64);
    assert.equal(fairShare(64, 0), 64);
    assert.deepEqual(fill(64, 64, [0]), [64]);
  });

  test("several: a share of concurrency / (accounts + 1), at least one", () => {
    assert.equal(fairShare(64, 2), 21);
    assert.equal(fairShare(64, 3), 16);
    assert.equal(fairShare(64, 100), 1);
  });

  test("two accounts whose receivers hold every request leave slots for a third", () => {
    const [a = 0, b = 0] = fill(64, 32, [0, 0]);
    const free = 64 - a - b;
    assert.ok(free >= 1, `${a} + ${b} of 64 held`);
    // The third account arrives: it may start at once, below its share.
    assert.equal(mayTakeSlot(0, fairShare(64, 3), free), true);
    const third = fill(64, 32, [a, b, 0]);
    assert.ok((third[2] ?? 0) >= 1, third.join(", "));
  });

  test("many slow accounts: a newcomer still finds a slot while they number fewer than the slots", () => {
    for (const slow of [2, 5, 10, 30, 62]) {
      const held = fill(64, 32, new Array<number>(slow).fill(0));
      const total = held.reduce((x, y) => x + y, 0);
      assert.ok(total < 64, `${slow} slow accounts hold ${total} of 64`);
      assert.equal(mayTakeSlot(0, fairShare(64, slow + 1), 64 - total), true, `${slow}`);
    }
  });

  test("at or above the share, a slot only while more than a share stays free", () => {
    assert.equal(mayTakeSlot(21, 21, 22), true);
    assert.equal(mayTakeSlot(21, 21, 21), false);
    assert.equal(mayTakeSlot(20, 21, 1), true, "below the share: any free slot");
    assert.equal(mayTakeSlot(0, 1, 0), false, "no free slot at all");
  });

  test("a hundred busy accounts with fast receivers keep all but one slot working", () => {
    // Over-share accounts take while more than one slot is free.
    const held = fill(64, 32, new Array<number>(100).fill(0));
    assert.ok(held.reduce((x, y) => x + y, 0) >= 63);
  });
});
