import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, test } from "node:test";
import { Webhook } from "standardwebhooks";
import { TENANTS, demoEvents, dlqSubjectOf, type DemoEvent } from "../../src/demo/events.js";
import {
  judge,
  type Observations,
  type SeenDeadLetter,
  type SeenDelivery,
} from "../../src/demo/expectations.js";
import { summaryLines } from "../../src/demo/report.js";
import { checkSignature } from "../../src/demo/signature.js";

const events = demoEvents(TENANTS);
const byKind = (kind: DemoEvent["kind"]): DemoEvent => {
  const event = events.find((e) => e.kind === kind);
  assert.ok(event, `the demo has a ${kind} event`);
  return event;
};

function delivery(event: DemoEvent, attempt: number, status: number): SeenDelivery {
  return {
    eventId: event.id,
    account: event.account,
    tenantHeader: event.tenantId,
    bodyTenant: event.tenantId,
    type: event.type,
    attempt,
    webhookId: `msg_${event.id}`,
    signature: "verified",
    status,
  };
}

function deadLetter(event: DemoEvent): SeenDeadLetter {
  return {
    account: event.account,
    subject: dlqSubjectOf(event.account),
    data: event.data,
    reason: "malformed_payload",
    attempts: "1",
    originalSubject: event.subject,
    tenant: event.tenantId,
  };
}

/** What a correct daemon produces for the demo's events. */
function asExpected(): { deliveries: SeenDelivery[]; deadLetters: SeenDeadLetter[] } {
  return {
    deliveries: events.flatMap((e) => {
      if (e.kind === "malformed") return [];
      if (e.kind === "flaky") return [delivery(e, 1, 503), delivery(e, 2, 200)];
      return [delivery(e, 1, 200)];
    }),
    deadLetters: events.filter((e) => e.kind === "malformed").map(deadLetter),
  };
}

/** The expected observations with the deliveries of `event` replaced. */
function withDeliveries(event: DemoEvent, deliveries: SeenDelivery[]): Observations {
  const seen = asExpected();
  return {
    deliveries: [...seen.deliveries.filter((d) => d.eventId !== event.id), ...deliveries],
    deadLetters: seen.deadLetters,
  };
}

const problemsOf = (seen: Observations): string => judge(events, seen).problems.join("\n");

describe("demo: expected vs seen", () => {
  test("the demo covers every kind of event for every tenant", () => {
    for (const { account } of TENANTS) {
      const kinds = new Set(events.filter((e) => e.account === account).map((e) => e.kind));
      assert.deepEqual([...kinds].sort(), ["flaky", "malformed", "normal", "spoofed"]);
    }
    for (const event of events.filter((e) => e.kind === "malformed")) {
      assert.throws(() => JSON.parse(event.data) as unknown, SyntaxError);
    }
    const spoofed = byKind("spoofed");
    const claimed = (JSON.parse(spoofed.data) as { tenant_id: string }).tenant_id;
    assert.notEqual(claimed, spoofed.tenantId);
  });

  test("everything as expected: complete, no problems, and the summary says so", () => {
    const seen = asExpected();
    const verdict = judge(events, seen);
    assert.deepEqual(verdict, { complete: true, pending: [], problems: [] });
    const summary = summaryLines(TENANTS, events, seen, verdict).join("\n");
    assert.match(summary, new RegExp(`✓ all ${events.length} events came out as expected`));
    assert.doesNotMatch(summary, /✗/);
  });

  test("a spoofed tenant_id that reaches the receiver is a problem", () => {
    const event = byKind("spoofed");
    const kept = { ...delivery(event, 1, 200), bodyTenant: "tenant-someone-else" };
    const seen = withDeliveries(event, [kept]);
    const verdict = judge(events, seen);
    assert.equal(verdict.complete, true);
    assert.match(verdict.problems.join("\n"), /spoofed value was not replaced/);
    const summary = summaryLines(TENANTS, events, seen, verdict).join("\n");
    assert.match(summary, /✗ spoofed tenant_id replaced by the account's own: 1 of 2/);
    assert.match(summary, /✗ 1 problem\(s\):/);
  });

  test("the failing event accepted at once, or only on attempt 3, is a problem", () => {
    const event = byKind("flaky");
    assert.match(
      problemsOf(withDeliveries(event, [delivery(event, 1, 200)])),
      /0 failed attempt\(s\), expected 1[\s\S]*accepted on attempt 1, expected attempt 2/,
    );
    assert.match(
      problemsOf(withDeliveries(event, [delivery(event, 1, 503), delivery(event, 3, 200)])),
      /accepted on attempt 3, expected attempt 2/,
    );
  });

  test("a malformed event delivered instead of dead-lettered is a problem, not a wait", () => {
    const event = byKind("malformed");
    const seen = asExpected();
    const verdict = judge(events, {
      deliveries: [...seen.deliveries, { ...delivery(event, 1, 200), eventId: undefined }],
      deadLetters: seen.deadLetters.filter((dl) => dl.data !== event.data),
    });
    assert.equal(verdict.complete, false, "not dead-lettered: still pending");
    assert.match(verdict.problems.join("\n"), /was not dead-lettered/);
    assert.match(verdict.problems.join("\n"), /unexpected request/);
  });

  test("a dead letter with the wrong reason or in the wrong place is a problem", () => {
    const event = byKind("malformed");
    const seen = asExpected();
    const wrong = { ...deadLetter(event), reason: "max_attempts", subject: "dlq.elsewhere" };
    const problems = problemsOf({
      deliveries: seen.deliveries,
      deadLetters: [...seen.deadLetters.filter((dl) => dl.data !== event.data), wrong],
    });
    assert.match(problems, /streamhook-dlq-reason "max_attempts", expected "malformed_payload"/);
    assert.match(problems, /dead letter on dlq\.elsewhere/);
  });

  test("a missing delivery leaves the verdict incomplete and names the event", () => {
    const event = byKind("normal");
    const verdict = judge(events, withDeliveries(event, []));
    assert.equal(verdict.complete, false);
    assert.deepEqual(verdict.pending, [event.id]);
    assert.match(verdict.problems.join("\n"), new RegExp(`${event.id} .*never accepted`));
  });

  test("bad signatures, duplicates, changed and shared webhook-ids are problems", () => {
    const event = byKind("normal");
    const other = events.find((e) => e.kind === "normal" && e.id !== event.id);
    assert.ok(other);
    assert.match(
      problemsOf(withDeliveries(event, [{ ...delivery(event, 1, 200), signature: "mismatch" }])),
      /signature mismatch/,
    );
    assert.match(
      problemsOf(withDeliveries(event, [delivery(event, 1, 200), delivery(event, 2, 200)])),
      /accepted 2 times, expected once/,
    );
    const flaky = byKind("flaky");
    assert.match(
      problemsOf(
        withDeliveries(flaky, [
          delivery(flaky, 1, 503),
          { ...delivery(flaky, 2, 200), webhookId: "msg_other" },
        ]),
      ),
      /webhook-id changed between attempts/,
    );
    assert.match(
      problemsOf(
        withDeliveries(event, [{ ...delivery(event, 1, 200), webhookId: `msg_${other.id}` }]),
      ),
      /share webhook-id/,
    );
  });

  test("a request for no event at all is a problem", () => {
    const seen = asExpected();
    const stray = { ...delivery(byKind("normal"), 1, 200), eventId: "nobody-1" };
    assert.match(
      problemsOf({ deliveries: [...seen.deliveries, stray], deadLetters: seen.deadLetters }),
      /unexpected request .*"nobody-1"/,
    );
  });
});

describe("demo: the receiver's signature check", () => {
  const secret = `whsec_${randomBytes(32).toString("base64")}`;
  const body = Buffer.from('{"demo_id":"acme-1"}');
  const now = new Date();
  const seconds = Math.floor(now.getTime() / 1000);
  const headers = (signature: string, timestamp = String(seconds)): Record<string, string> => ({
    "webhook-id": "msg_1",
    "webhook-timestamp": timestamp,
    "webhook-signature": signature,
  });
  const signed = new Webhook(secret).sign("msg_1", now, body.toString());

  test("accepts what the official standardwebhooks library signs", () => {
    assert.equal(checkSignature(secret, headers(signed), body, seconds), "verified");
    const rotated = `v1,${randomBytes(32).toString("base64")} ${signed}`;
    assert.equal(checkSignature(secret, headers(rotated), body, seconds), "verified");
  });

  test("refuses a tampered body, another secret, an old timestamp and missing headers", () => {
    assert.equal(checkSignature(secret, headers(signed), Buffer.from("{}"), seconds), "mismatch");
    const other = `whsec_${randomBytes(32).toString("base64")}`;
    assert.equal(checkSignature(other, headers(signed), body, seconds), "mismatch");
    assert.equal(checkSignature(secret, headers(signed), body, seconds + 3600), "stale");
    assert.equal(checkSignature(secret, headers(signed, "soon"), body, seconds), "stale");
    assert.equal(checkSignature(secret, { "webhook-id": "msg_1" }, body, seconds), "missing");
  });
});
