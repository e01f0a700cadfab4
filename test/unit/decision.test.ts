import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { decide, type DecisionPolicy } from "../../src/delivery/decision.js";

const policy: DecisionPolicy = {
  maxAttempts: 4,
  backoffMs: [1_000, 5_000, 30_000],
  maxRetryAfterMs: 60_000,
  terminalStatuses: new Set([400, 413, 415, 422]),
  maxDeliver: -1,
};
const noJitter = (): number => 0;
const now = Date.parse("2026-01-01T00:00:00Z");

describe("decide", () => {
  test("410 Gone keeps the message and disables the endpoint, unless 410 is made terminal", () => {
    const gone = {
      outcome: { kind: "response", status: 410 },
      attempt: 9,
      random: () => 0,
    } as const;
    // Past max_attempts too: a 410 never spends the message.
    assert.deepEqual(decide(policy, gone), { action: "disable", delayMs: 30_000, status: 410 });
    const terminal = { ...policy, terminalStatuses: new Set([410]) };
    assert.deepEqual(decide(terminal, gone), {
      action: "dead_letter",
      reason: "terminal_status",
      status: 410,
    });
  });

  test("acks every 2xx", () => {
    for (const status of [200, 201, 202, 204, 299]) {
      assert.deepEqual(decide(policy, { outcome: { kind: "response", status }, attempt: 1 }), {
        action: "ack",
      });
    }
  });

  test("dead-letters terminal statuses at once, whatever the attempt", () => {
    assert.deepEqual(decide(policy, { outcome: { kind: "response", status: 422 }, attempt: 1 }), {
      action: "dead_letter",
      reason: "terminal_status",
      status: 422,
    });
  });

  test("dead-letters malformed payloads and refused hosts without retrying", () => {
    const malformed = decide(policy, {
      outcome: { kind: "malformed_payload", error: "payload is not JSON" },
      attempt: 1,
    });
    assert.deepEqual(malformed, {
      action: "dead_letter",
      reason: "malformed_payload",
      error: "payload is not JSON",
    });
    const host = decide(policy, {
      outcome: { kind: "host_not_allowed", error: "no" },
      attempt: 1,
    });
    assert.equal(host.action === "dead_letter" && host.reason, "host_not_allowed");
  });

  test("naks retryable failures with the backoff of the attempt", () => {
    const cases = [
      { outcome: { kind: "response", status: 503 } as const, attempt: 1, delay: 1_000 },
      { outcome: { kind: "response", status: 302 } as const, attempt: 2, delay: 5_000 },
      { outcome: { kind: "response", status: 408 } as const, attempt: 3, delay: 30_000 },
      { outcome: { kind: "timeout", error: "t" } as const, attempt: 1, delay: 1_000 },
      { outcome: { kind: "network_error", error: "reset" } as const, attempt: 2, delay: 5_000 },
    ];
    for (const c of cases) {
      assert.deepEqual(
        decide(policy, { outcome: c.outcome, attempt: c.attempt, random: noJitter }),
        { action: "nak", delayMs: c.delay },
        JSON.stringify(c),
      );
    }
  });

  test("a terminal status is not retried even when it is also a 4xx that would otherwise retry", () => {
    const p = { ...policy, terminalStatuses: new Set([429]) };
    const d = decide(p, { outcome: { kind: "response", status: 429 }, attempt: 1 });
    assert.equal(d.action, "dead_letter");
  });

  test("dead-letters with max_attempts on the last attempt, keeping the last status or error", () => {
    assert.deepEqual(decide(policy, { outcome: { kind: "response", status: 500 }, attempt: 4 }), {
      action: "dead_letter",
      reason: "max_attempts",
      status: 500,
    });
    assert.deepEqual(
      decide(policy, { outcome: { kind: "timeout", error: "no answer" }, attempt: 9 }),
      { action: "dead_letter", reason: "max_attempts", error: "no answer" },
    );
  });

  test("the consumer's max_deliver ends retries before a nak would silently drop the message", () => {
    const p = { ...policy, maxDeliver: 2 };
    assert.equal(
      decide(p, { outcome: { kind: "response", status: 503 }, attempt: 1 }).action,
      "nak",
    );
    assert.equal(
      decide(p, { outcome: { kind: "response", status: 503 }, attempt: 2 }).action,
      "dead_letter",
    );
  });

  test("during an outage the last attempt naks until the breaker's probe, unless max_deliver ends it", () => {
    const outage = decide(policy, {
      outcome: { kind: "response", status: 503 },
      attempt: 4,
      random: noJitter,
      outageMs: 45_000,
    });
    assert.deepEqual(outage, { action: "nak", delayMs: 45_000 });
    const early = decide(policy, {
      outcome: { kind: "timeout", error: "t" },
      attempt: 1,
      random: noJitter,
      outageMs: 200,
    });
    assert.deepEqual(
      early,
      { action: "nak", delayMs: 1_000 },
      "the backoff still applies when longer",
    );
    const serverLimit = decide(
      { ...policy, maxDeliver: 4 },
      { outcome: { kind: "response", status: 503 }, attempt: 4, outageMs: 1_000 },
    );
    assert.equal(serverLimit.action, "dead_letter");
  });

  test("Retry-After wins when longer than the backoff, in seconds or as an HTTP date", () => {
    const seconds = decide(policy, {
      outcome: { kind: "response", status: 429, retryAfter: "20" },
      attempt: 1,
      random: noJitter,
      now,
    });
    assert.deepEqual(seconds, { action: "nak", delayMs: 20_000 });
    const date = decide(policy, {
      outcome: { kind: "response", status: 503, retryAfter: new Date(now + 42_000).toUTCString() },
      attempt: 1,
      random: noJitter,
      now,
    });
    assert.deepEqual(date, { action: "nak", delayMs: 42_000 });
  });

  test("Retry-After shorter than the backoff, or garbage, keeps the backoff", () => {
    for (const retryAfter of ["0", "-5", "soon", ""]) {
      const d = decide(policy, {
        outcome: { kind: "response", status: 503, retryAfter },
        attempt: 2,
        random: noJitter,
        now,
      });
      assert.deepEqual(d, { action: "nak", delayMs: 5_000 }, retryAfter);
    }
  });

  test("Retry-After is capped at max_retry_after", () => {
    const d = decide(policy, {
      outcome: { kind: "response", status: 429, retryAfter: "86400" },
      attempt: 1,
      random: noJitter,
      now,
    });
    assert.deepEqual(d, { action: "nak", delayMs: 60_000 });
  });
});
