import assert from "node:assert/strict";
import { test } from "node:test";
import { createHeldMessages } from "../../src/pipeline/held-messages.js";
import { waitUntil } from "../helpers/wait.js";

test("held messages get progress signals until released", async () => {
  const held = createHeldMessages(750);
  const counts = { a: 0, b: 0 };
  const a = {
    working: () => {
      counts.a++;
    },
  };
  const slotOfA = held.hold(a);
  held.hold({
    working: () => {
      counts.b++;
    },
  });
  try {
    await waitUntil(() => counts.a >= 1 && counts.b >= 1, {
      timeoutMs: 2_000,
      message: "a signal",
    });
    held.release(slotOfA, a);
    const afterRelease = counts.a;
    await waitUntil(() => counts.b >= 3, { timeoutMs: 3_000, message: "more signals for b" });
    assert.equal(counts.a, afterRelease, "a released message gets no more signals");
    assert.equal(held.size, 1);
  } finally {
    held.close();
  }
  assert.equal(held.size, 0);
});
