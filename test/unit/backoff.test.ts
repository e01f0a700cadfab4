import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { backoffDelay, parseRetryAfter } from "../../src/delivery/backoff.js";

describe("backoffDelay", () => {
  const schedule = [1_000, 5_000, 30_000];

  test("uses the entry of the attempt and repeats the last one", () => {
    const none = (): number => 0;
    assert.equal(backoffDelay(1, schedule, none), 1_000);
    assert.equal(backoffDelay(2, schedule, none), 5_000);
    assert.equal(backoffDelay(3, schedule, none), 30_000);
    assert.equal(backoffDelay(17, schedule, none), 30_000);
  });

  test("treats attempt 0 or less as the first attempt", () => {
    assert.equal(
      backoffDelay(0, schedule, () => 0),
      1_000,
    );
  });

  test("jitter only shortens the delay, by at most 20%", () => {
    assert.equal(
      backoffDelay(1, schedule, () => 0.999_999),
      800,
    );
    for (let i = 0; i < 1_000; i++) {
      const d = backoffDelay(2, schedule);
      assert.ok(d >= 4_000 && d <= 5_000, String(d));
    }
  });

  test("an empty schedule means no delay", () => {
    assert.equal(backoffDelay(3, []), 0);
  });
});

describe("parseRetryAfter", () => {
  const now = Date.parse("2026-03-01T12:00:00Z");

  test("reads delta seconds", () => {
    assert.equal(parseRetryAfter("2", now), 2_000);
    assert.equal(parseRetryAfter(" 120 ", now), 120_000);
  });

  test("reads an HTTP date relative to now; the past is zero", () => {
    assert.equal(parseRetryAfter("Sun, 01 Mar 2026 12:00:30 GMT", now), 30_000);
    assert.equal(parseRetryAfter("Sun, 01 Mar 2026 11:00:00 GMT", now), 0);
  });

  test("ignores what it cannot read", () => {
    assert.equal(parseRetryAfter(undefined, now), undefined);
    assert.equal(parseRetryAfter("", now), undefined);
    assert.equal(parseRetryAfter("later", now), undefined);
    assert.equal(parseRetryAfter("-1", now), undefined);
  });
});
