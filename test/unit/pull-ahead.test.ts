import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { MIN_PULL_AHEAD, pullAhead } from "../../src/accounts/pull-ahead.js";

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
