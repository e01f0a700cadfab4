import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { schedule } from "../../bench/scenarios/drain.js";

describe("bench drain schedule", () => {
  test("one account count: baseline first in even rounds, streamhook first in odd ones", () => {
    const order = schedule([1], 2).map((s) => `${s.pipeline}${s.round}`);
    assert.deepEqual(order, ["baseline0", "streamhook0", "streamhook1", "baseline1"]);
  });

  test("two account counts interleave, each pair once per round", () => {
    const slots = schedule([1, 100], 4);
    assert.equal(slots.length, 16);
    for (let round = 0; round < 4; round++) {
      const pairs = slots
        .filter((s) => s.round === round)
        .map((s) => `${s.accounts}/${s.pipeline}`);
      assert.deepEqual([...pairs].sort(), [
        "1/baseline",
        "1/streamhook",
        "100/baseline",
        "100/streamhook",
      ]);
    }
  });

  test("over an even number of rounds every pair sits at the same mean position", () => {
    const slots = schedule([1, 100], 4);
    const positions = new Map<string, number[]>();
    for (const [i, s] of slots.entries()) {
      const key = `${s.accounts}/${s.pipeline}`;
      positions.set(key, [...(positions.get(key) ?? []), i]);
    }
    const means = [...positions.values()].map((p) => p.reduce((a, b) => a + b, 0) / p.length);
    assert.equal(means.length, 4);
    for (const m of means) assert.equal(m, 7.5);
  });
});
