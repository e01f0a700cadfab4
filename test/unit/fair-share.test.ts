import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { mayTakeSlot, slotShare } from "../../src/delivery/fair-share.js";

/**
 * Hands out slots the way the worker does: accounts in turn, one slot at a time, each taking
 * while it may (and while its own limit allows), until nobody can take more. Slots are never
 * given back: the accounts' receivers hold them for the whole timeout. `active` is what the
 * worker counts at each take, which may leave out accounts whose traffic is intermittent.
 */
function fill(
  concurrency: number,
  accountLimit: number,
  held: number[],
  active = (): number => held.length,
): number[] {
  const out = [...held];
  for (let progress = true; progress;) {
    progress = false;
    for (let i = 0; i < out.length; i++) {
      const free = concurrency - out.reduce((a, b) => a + b, 0);
      const mine = out[i] ?? 0;
      if (mine < accountLimit && mayTakeSlot(mine, free, slotShare(concurrency, active()))) {
        out[i] = mine + 1;
        progress = true;
      }
    }
  }
  return out;
}

const sum = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0);

describe("fair share of delivery slots", () => {
  test("the share and the reserve", () => {
    assert.deepEqual(slotShare(64, 1), { share: 64, reserve: 21 });
    assert.deepEqual(slotShare(64, 0), { share: 64, reserve: 21 });
    assert.deepEqual(slotShare(64, 2), { share: 21, reserve: 16 });
    assert.deepEqual(slotShare(64, 6), { share: 9, reserve: 8 });
    assert.deepEqual(slotShare(64, 100), { share: 1, reserve: 1 });
  });

  test("an account with nothing in flight takes any free slot", () => {
    assert.equal(mayTakeSlot(0, 1, slotShare(64, 50)), true);
    assert.equal(mayTakeSlot(0, 0, slotShare(64, 1)), false, "no free slot at all");
  });

  test("accounts with requests in flight leave the reserve, twice it above their share", () => {
    const s = slotShare(64, 6);
    assert.equal(mayTakeSlot(3, 9, s), true);
    assert.equal(mayTakeSlot(3, 8, s), false);
    assert.equal(mayTakeSlot(9, 17, s), true);
    assert.equal(mayTakeSlot(9, 16, s), false);
  });

  test("one busy account alone keeps the reserve free for the next", () => {
    const [alone = 0] = fill(64, 64, [0]);
    assert.equal(alone, 64 - 21);
  });

  test("slow accounts never hold every slot, however the active count moves", () => {
    for (const slow of [1, 2, 3, 5, 10, 30, 62]) {
      // Counted exactly, or undercounted (an intermittent tenant left out, accounts between
      // retries), the slow ones leave a slot for a newcomer.
      for (const active of [() => slow, () => Math.max(1, slow - 2)]) {
        const held = fill(64, 32, new Array<number>(slow).fill(0), active);
        assert.ok(sum(held) < 64, `${String(slow)} slow accounts hold ${String(sum(held))}`);
        assert.equal(mayTakeSlot(0, 64 - sum(held), slotShare(64, slow + 1)), true);
      }
    }
  });

  test("slow accounts that grew while few were counted stop taking once more are", () => {
    // Three slow accounts fill while only they are counted; two more arrive and take theirs.
    const three = fill(64, 32, [0, 0, 0]);
    const five = fill(64, 32, [...three, 0, 0]);
    assert.ok(sum(five) < 64, five.join(", "));
    assert.ok((five[3] ?? 0) >= 1 && (five[4] ?? 0) >= 1, five.join(", "));
  });

  test("a hundred busy accounts with fast receivers keep all but two slots working", () => {
    const held = fill(64, 32, new Array<number>(100).fill(0));
    assert.ok(sum(held) >= 62, String(sum(held)));
  });
});
