import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { DurationError, MAX_DURATION_MS, parseDuration } from "../../src/config/index.js";

describe("parseDuration", () => {
  test("reads whole milliseconds, as a number or a string of digits", () => {
    assert.equal(parseDuration(0), 0);
    assert.equal(parseDuration(1500), 1500);
    assert.equal(parseDuration("1500"), 1500);
    assert.equal(parseDuration(" 42 "), 42);
  });

  test("reads unit strings and simple combinations", () => {
    assert.equal(parseDuration("250ms"), 250);
    assert.equal(parseDuration("30s"), 30_000);
    assert.equal(parseDuration("5m"), 300_000);
    assert.equal(parseDuration("1h"), 3_600_000);
    assert.equal(parseDuration("1m30s"), 90_000);
    assert.equal(parseDuration("1h2m3s4ms"), 3_723_004);
    assert.equal(parseDuration("1.5s"), 1_500);
  });

  test("refuses anything else with a DurationError that says what is expected", () => {
    for (const bad of [
      "",
      "5x",
      "s",
      "-1s",
      "1.5",
      "1 s",
      "10sec",
      "1d",
      -3,
      1.5,
      true,
      null,
      {},
    ]) {
      assert.throws(() => parseDuration(bad), DurationError, JSON.stringify(bad));
    }
    assert.throws(() => parseDuration("soon"), /"soon" is not a duration such as 250ms, 30s/);
  });

  test("refuses what a Node.js timer cannot hold, rather than firing after 1 ms", () => {
    assert.equal(parseDuration(MAX_DURATION_MS), MAX_DURATION_MS);
    assert.throws(() => parseDuration(MAX_DURATION_MS + 1), /longest timer/);
    assert.throws(() => parseDuration("1000h"), /longest timer/);
  });
});
