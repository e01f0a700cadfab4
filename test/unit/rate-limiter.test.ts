import assert from "node:assert/strict";
import { test } from "node:test";
import { createRateLimiter } from "../../src/delivery/rate-limiter.js";

test("a burst of one second's worth, then the steady rate", () => {
  let now = 0;
  const limiter = createRateLimiter(20, () => now);
  let started = 0;
  while (limiter.ready()) {
    limiter.take();
    started++;
  }
  assert.equal(started, 20, "the burst");
  assert.equal(limiter.waitMs(), 50, "one token every 50 ms");
  now += 49;
  assert.equal(limiter.ready(), false);
  now += 1;
  assert.equal(limiter.ready(), true);
  limiter.take();
  // Ten seconds later: no more than the burst saved up.
  now += 10_000;
  let later = 0;
  while (limiter.ready()) {
    limiter.take();
    later++;
  }
  assert.equal(later, 20);
});

test("over a minute, starts never exceed the rate plus one burst", () => {
  let now = 0;
  const limiter = createRateLimiter(7, () => now);
  let started = 0;
  for (; now <= 60_000; now += 3) {
    while (limiter.ready()) {
      limiter.take();
      started++;
    }
  }
  assert.ok(started <= 7 * 60 + 7 + 1, String(started));
  assert.ok(started >= 7 * 60, String(started));
});
