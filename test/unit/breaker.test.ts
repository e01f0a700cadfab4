import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { createCircuitBreaker } from "../../src/delivery/breaker.js";

function setup(threshold = 3) {
  let clock = 1_000_000;
  const ready: string[] = [];
  const breaker = createCircuitBreaker({
    failureThreshold: threshold,
    cooldownMs: 5_000,
    maxCooldownMs: 12_000,
    now: () => clock,
    onReady: (origin) => ready.push(origin),
  });
  return { breaker, ready, advance: (ms: number) => (clock += ms) };
}

const A = "http://a.example";
const B = "http://b.example";

describe("circuit breaker", () => {
  test("opens after the threshold of consecutive failures, per origin", () => {
    const { breaker } = setup();
    breaker.record(A, false);
    breaker.record(A, false);
    assert.equal(breaker.state(A), "closed");
    breaker.record(A, false);
    assert.equal(breaker.state(A), "open");
    assert.equal(breaker.allows(A), false);
    assert.equal(breaker.allows(B), true, "another origin is untouched");
    assert.equal(breaker.remainingMs(A), 5_000);
    breaker.close();
  });

  test("a success resets the count", () => {
    const { breaker } = setup();
    breaker.record(A, false);
    breaker.record(A, false);
    breaker.record(A, true);
    breaker.record(A, false);
    breaker.record(A, false);
    assert.equal(breaker.state(A), "closed");
    breaker.close();
  });

  test("after the cooldown exactly one probe goes; its success closes the circuit", () => {
    const { breaker, advance } = setup();
    for (let i = 0; i < 3; i++) breaker.record(A, false);
    advance(5_000);
    assert.equal(breaker.state(A), "half_open");
    assert.equal(breaker.allows(A, true), true);
    assert.equal(breaker.allows(A, true), false, "only one probe at a time");
    breaker.record(A, true);
    assert.equal(breaker.state(A), "closed");
    assert.equal(breaker.allows(A), true);
    breaker.close();
  });

  test("an abandoned probe frees the slot, changes nothing else, and says the origin is ready", () => {
    const { breaker, advance, ready } = setup();
    for (let i = 0; i < 3; i++) breaker.record(A, false);
    advance(5_000);
    assert.ok(breaker.allows(A, true));
    assert.equal(breaker.allows(A, true), false);
    const before = ready.length;
    breaker.abandon(A);
    assert.equal(breaker.state(A), "half_open");
    assert.equal(ready.length, before + 1);
    assert.equal(breaker.allows(A, true), true, "the next message may probe");
    breaker.abandon(B);
    assert.equal(breaker.state(B), "closed", "abandoning where nothing probes is a no-op");
    breaker.close();
  });

  test("a failed probe reopens with a doubled cooldown, capped", () => {
    const { breaker, advance } = setup();
    for (let i = 0; i < 3; i++) breaker.record(A, false);
    for (const expected of [10_000, 12_000, 12_000]) {
      advance(breaker.remainingMs(A));
      assert.ok(breaker.allows(A, true));
      breaker.record(A, false);
      assert.equal(breaker.state(A), "open");
      assert.equal(breaker.remainingMs(A), expected);
    }
    breaker.close();
  });

  test("threshold 0 turns it off", () => {
    const { breaker } = setup(0);
    for (let i = 0; i < 50; i++) breaker.record(A, false);
    assert.equal(breaker.allows(A), true);
    assert.equal(breaker.state(A), "closed");
    breaker.close();
  });

  test("ready() waits while open and resolves when the cooldown ends", async () => {
    const breaker = createCircuitBreaker({
      failureThreshold: 1,
      cooldownMs: 60,
      maxCooldownMs: 60,
    });
    await breaker.ready(A, new AbortController().signal);
    breaker.record(A, false);
    let resolved = false;
    const waiting = breaker.ready(A, new AbortController().signal).then(() => {
      resolved = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(resolved, false);
    // The breaker's timer does not keep a process alive on its own (the daemon's sockets do).
    const keepAlive = setTimeout(() => undefined, 1_000);
    await waiting;
    clearTimeout(keepAlive);
    assert.equal(breaker.state(A), "half_open");
    breaker.close();
  });

  test("the cooldown's timer makes the circuit half-open, whatever the wall clock says", async () => {
    // A wall clock that has not reached the end of the cooldown when the timer fires.
    const breaker = createCircuitBreaker({
      failureThreshold: 1,
      cooldownMs: 20,
      maxCooldownMs: 20,
      now: () => 0,
    });
    breaker.record(A, false);
    assert.equal(breaker.state(A), "open");
    const keepAlive = setTimeout(() => undefined, 1_000);
    await breaker.ready(A, new AbortController().signal);
    clearTimeout(keepAlive);
    assert.equal(breaker.state(A), "half_open");
    assert.equal(breaker.allows(A, true), true, "the probe may go");
    breaker.close();
  });
});
