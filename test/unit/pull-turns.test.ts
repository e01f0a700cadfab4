// Turns at pulling a whole batch: a few at a time, granted in the order asked, never held longer
// than the longest turn.
import assert from "node:assert/strict";
import { test } from "node:test";
import { createPullTurns } from "../../src/accounts/pull-turns.js";

const never = new AbortController().signal;

test("grants as many turns as there are, then one per turn ended, in the order asked", async () => {
  const turns = createPullTurns({ turns: 2, maxTurnMs: 60_000 });
  const first = await turns.take(never);
  const second = await turns.take(never);
  assert.equal(turns.active, 2);
  const order: string[] = [];
  const third = turns.take(never).then((end) => {
    order.push("third");
    return end;
  });
  const fourth = turns.take(never).then((end) => {
    order.push("fourth");
    return end;
  });
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(order, [], "nobody gets a third turn while two are held");
  assert.equal(turns.waiting, 2);
  first?.();
  // Ending a turn twice frees it once.
  first?.();
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(order, ["third"]);
  second?.();
  (await third)?.();
  (await fourth)?.();
  assert.deepEqual(order, ["third", "fourth"]);
  assert.equal(turns.active, 0);
  assert.equal(turns.waiting, 0);
});

test("a turn not ended in time passes to the next caller by itself", async () => {
  const turns = createPullTurns({ turns: 1, maxTurnMs: 50 });
  const held = await turns.take(never);
  const started = Date.now();
  const next = await turns.take(never);
  assert.ok(Date.now() - started >= 40, "not before the longest turn");
  assert.equal(turns.active, 1);
  // The turn that ran out ends nothing when its holder ends it late.
  held?.();
  assert.equal(turns.active, 1);
  next?.();
  assert.equal(turns.active, 0);
});

test("a caller that stops waiting gets no turn and leaves the line", async () => {
  const turns = createPullTurns({ turns: 1, maxTurnMs: 60_000 });
  const held = await turns.take(never);
  const abort = new AbortController();
  const waiting = turns.take(abort.signal);
  assert.equal(turns.waiting, 1);
  abort.abort();
  assert.equal(await waiting, undefined);
  assert.equal(turns.waiting, 0);
  assert.equal(await turns.take(abort.signal), undefined, "an aborted signal waits for nothing");
  held?.();
  assert.equal(turns.active, 0);
});

test("turns must be a positive integer", () => {
  assert.throws(() => createPullTurns({ turns: 0 }), RangeError);
  assert.throws(() => createPullTurns({ turns: 1.5 }), RangeError);
});
