import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { MIN_PULL_AHEAD, pullAhead, refillThreshold } from "../../src/accounts/pull-ahead.js";

describe("pullAhead", () => {
  test("a few accounts pull their full batch", () => {
    assert.equal(pullAhead(256, 4096, 1), 256);
    assert.equal(pullAhead(256, 4096, 16), 256);
  });

  test("many accounts share the budget", () => {
    assert.equal(pullAhead(256, 4096, 17), 240);
    assert.equal(pullAhead(256, 4096, 100), 40);
  });

  test("never below the floor, however many accounts", () => {
    assert.equal(pullAhead(256, 4096, 1000), MIN_PULL_AHEAD);
    assert.equal(pullAhead(256, 4096, 1_000_000), MIN_PULL_AHEAD);
  });

  test("never above the configured batch, even below the floor", () => {
    assert.equal(pullAhead(8, 4096, 1000), 8);
    assert.equal(pullAhead(1, 4096, 1), 1);
  });

  test("no accounts yet counts as one", () => {
    assert.equal(pullAhead(256, 4096, 0), 256);
  });
});

describe("refillThreshold", () => {
  test("asks for more while a quarter of the window is still on its way", () => {
    assert.equal(refillThreshold(256), 64);
    assert.equal(refillThreshold(81), 20);
    assert.equal(refillThreshold(MIN_PULL_AHEAD), 8);
  });

  test("at least one: the client reads 0 as 'use its default'", () => {
    assert.equal(refillThreshold(3), 1);
    assert.equal(refillThreshold(1), 1);
  });
});
