import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { busyMayTake, mayTakeSlot, slotShare } from "../../src/delivery/fair-share.js";

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
    assert.deepEqual(slotShare(64, 0), { share: 32, reserve: 21, quietReserve: 10 });
    assert.deepEqual(slotShare(64, 2), { share: 21, reserve: 16, quietReserve: 8 });
    assert.deepEqual(slotShare(64, 6), { share: 9, reserve: 8, quietReserve: 4 });
    assert.deepEqual(slotShare(64, 100), { share: 0, reserve: 1, quietReserve: 1 });
    assert.deepEqual(
      slotShare(1, 5),
      { share: 0, reserve: 0, quietReserve: 0 },
      "one slot is never kept back",
    );
  });

  test("a quiet account with nothing in flight takes any free slot", () => {
    const s = slotShare(64, 6);
    assert.equal(mayTakeSlot({ quiet: true, held: 0 }, 1, s), true);
    assert.equal(mayTakeSlot({ quiet: true, held: 0 }, 0, s), false, "no free slot at all");
    assert.equal(mayTakeSlot({ quiet: true, held: 0 }, 1, slotShare(64, 100)), true);
  });

  test("an account with nothing queued but requests in flight is not quiet", () => {
    const s = slotShare(64, 6);
    // Below its share, it leaves the quiet reserve; at its share, the whole reserve.
    assert.equal(mayTakeSlot({ quiet: true, held: 3 }, 4, s), false);
    assert.equal(mayTakeSlot({ quiet: true, held: 3 }, 5, s), true);
    assert.equal(mayTakeSlot({ quiet: true, held: 9 }, 8, s), false);
    assert.equal(mayTakeSlot({ quiet: true, held: 9 }, 9, s), true);
  });

  test("an account below its share leaves the quiet reserve", () => {
    const s = slotShare(64, 6);
    assert.equal(mayTakeSlot(busy(2), 5, s), true);
    assert.equal(mayTakeSlot(busy(2), 4, s), false);
  });

  test("the others leave the reserve", () => {
    const s = slotShare(64, 6);
    assert.equal(mayTakeSlot(busy(9), 9, s), true);
    assert.equal(mayTakeSlot(busy(9), 8, s), false);
  });

  test("slots taken while the share was large still leave a quiet account a slot", () => {
    // Three accounts with backlogs behind a slow receiver, whose messages arrive batch by batch,
    // so that each looks quiet between two batches; then six more accounts queue messages, and
    // the share shrinks under what the first three hold.
    const held = [0, 0, 0];
    const total = (): number => sum(held);
    for (let progress = true; progress;) {
      progress = false;
      for (let i = 0; i < held.length; i++) {
        const mine = held[i] ?? 0;
        const quiet = mine % 2 === 0;
        if (mine < 32 && mayTakeSlot({ quiet, held: mine }, 64 - total(), slotShare(64, 3))) {
          held[i] = mine + 1;
          progress = true;
        }
      }
    }
    // Two tenants whose receivers stall, and whose retries come back one at a time: each retry
    // finds nothing queued.
    const stalled = [0, 0];
    const later = slotShare(64, 9);
    for (let progress = true; progress;) {
      progress = false;
      for (let i = 0; i < stalled.length; i++) {
        const mine = stalled[i] ?? 0;
        if (mayTakeSlot({ quiet: true, held: mine }, 64 - total() - sum(stalled), later)) {
          stalled[i] = mine + 1;
          progress = true;
        }
      }
    }
    const free = 64 - total() - sum(stalled);
    assert.ok(free >= 1, `${String(total())} + ${String(sum(stalled))} held`);
    assert.equal(mayTakeSlot({ quiet: true, held: 0 }, free, later), true);
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
  test("busyMayTake is false only where no account but a quiet one with nothing in flight may take", () => {
    for (const concurrency of [1, 2, 8, 64]) {
      for (const accounts of [0, 1, 2, 6, 100]) {
        const s = slotShare(concurrency, accounts);
        for (let free = 0; free <= concurrency; free++) {
          const someone = [...Array(concurrency + 1).keys()].some(
            (held) =>
              mayTakeSlot({ quiet: false, held }, free, s) ||
              (held > 0 && mayTakeSlot({ quiet: true, held }, free, s)),
          );
          assert.equal(busyMayTake(free, s), someone, `${concurrency}/${accounts}/${free}`);
        }
      }
    }
  });
});
