import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { StoredMsg } from "@nats-io/jetstream";
import { headers as natsHeaders } from "@nats-io/transport-node";
import { deadLetterOf, toJson } from "../../src/dlq/record.js";
import { replayPlan } from "../../src/dlq/replay-message.js";
import { parseSelection, selects, SelectionError } from "../../src/dlq/selection.js";

function stored(fields: Record<string, string | string[]>, seq = 9): StoredMsg {
  const header = natsHeaders();
  for (const [name, value] of Object.entries(fields)) {
    for (const v of Array.isArray(value) ? value : [value]) header.append(name, v);
  }
  return {
    subject: "dlq.acme",
    seq,
    header,
    data: new TextEncoder().encode('{"n":1}'),
    time: new Date("2026-12-01T10:00:00.000Z"),
  } as unknown as StoredMsg;
}

/** The account's stream, created before the dead letters of these tests. */
const EVENTS = { stream: "EVENTS", createdMs: Date.parse("2026-11-01T00:00:00Z") };

const DAEMON_COPY = {
  "x-custom": ["one", "two"],
  traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
  "streamhook-dlq-reason": "terminal_status",
  "streamhook-dlq-status": "422",
  "streamhook-dlq-error": "HTTP 422",
  "streamhook-dlq-attempts": "3",
  "streamhook-subject": "events.a",
  "streamhook-stream": "EVENTS",
  "streamhook-sequence": "42",
  "streamhook-tenant": "t-acme",
};

describe("dead letters as the dlq commands read them", () => {
  test("every field of a daemon's DLQ copy, and JSON with nulls for what a copy lacks", () => {
    assert.deepEqual(toJson(deadLetterOf("acme", "DLQ", stored(DAEMON_COPY))), {
      account: "acme",
      dlq_sequence: 9,
      reason: "terminal_status",
      status: 422,
      attempts: 3,
      subject: "events.a",
      sequence: 42,
      time: "2026-12-01T10:00:00.000Z",
    });
    const forged = stored({ "streamhook-dlq-status": "4e2", "streamhook-sequence": "-1" });
    assert.deepEqual(toJson(deadLetterOf("acme", "DLQ", forged)), {
      account: "acme",
      dlq_sequence: 9,
      reason: null,
      status: null,
      attempts: null,
      subject: null,
      sequence: null,
      time: "2026-12-01T10:00:00.000Z",
    });
  });

  test("the replay carries the original's headers and the replay header, none of the DLQ's", () => {
    const plan = replayPlan(deadLetterOf("acme", "DLQ", stored(DAEMON_COPY)), EVENTS);
    assert.ok(plan.ok);
    assert.equal(plan.subject, "events.a");
    assert.deepEqual([...plan.headers.keys()].sort(), [
      "streamhook-replay-of",
      "traceparent",
      "x-custom",
    ]);
    assert.deepEqual(plan.headers.values("x-custom"), ["one", "two"]);
    assert.equal(plan.headers.get("streamhook-replay-of"), "EVENTS 42");
    assert.equal(plan.msgId, `streamhook-replay:DLQ:9:${Date.parse("2026-12-01T10:00:00Z")}`);
  });

  test("a replay of a replay keeps naming the first original, when the daemon honoured it", () => {
    const honoured = { ...DAEMON_COPY, "streamhook-replay-of": "EVENTS 7" };
    const plan = replayPlan(deadLetterOf("acme", "DLQ", stored(honoured)), EVENTS);
    assert.ok(plan.ok);
    assert.equal(plan.headers.get("streamhook-replay-of"), "EVENTS 7");
    // A header the daemon ignored (a later sequence, another stream) was not the id it used.
    for (const value of ["EVENTS 43", "OTHER 7", "EVENTS x"]) {
      const copy = { ...DAEMON_COPY, "streamhook-replay-of": value };
      const p = replayPlan(deadLetterOf("acme", "DLQ", stored(copy)), EVENTS);
      assert.ok(p.ok);
      assert.equal(p.headers.get("streamhook-replay-of"), "EVENTS 42", value);
    }
  });

  test("a stream created after the dead-lettering is another one: the replay gets its own id", () => {
    const recreated = { stream: "EVENTS", createdMs: Date.parse("2026-12-01T11:00:00Z") };
    const copy = { ...DAEMON_COPY, "streamhook-replay-of": "EVENTS 7" };
    const plan = replayPlan(deadLetterOf("acme", "DLQ", stored(copy)), recreated);
    assert.ok(plan.ok);
    assert.equal(plan.headers.has("streamhook-replay-of"), false);
  });

  test("control headers of a forged copy never steer the publish", () => {
    const forged = { ...DAEMON_COPY, "Nats-Expected-Last-Sequence": "1", "Nats-Msg-Id": "x" };
    const plan = replayPlan(deadLetterOf("acme", "DLQ", stored(forged)), EVENTS);
    assert.ok(plan.ok);
    assert.ok(![...plan.headers.keys()].some((k) => k.toLowerCase().startsWith("nats-")));
  });

  test("a copy that names no stream of the account, no sequence or no publishable subject is refused", () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ "streamhook-stream": "OTHER" }, /not the account's stream EVENTS/],
      [{ "streamhook-stream": "" }, /names no original stream/],
      [{ "streamhook-sequence": "0" }, /no original sequence/],
      [{ "streamhook-sequence": "x" }, /no original sequence/],
      [{ "streamhook-subject": "" }, /no original subject/],
      [{ "streamhook-subject": "events.*" }, /no original subject/],
      [{ "streamhook-subject": "events.>" }, /no original subject/],
      [{ "streamhook-subject": "events..a" }, /no original subject/],
      [{ "streamhook-subject": "events.a b" }, /no original subject/],
    ];
    for (const [override, error] of cases) {
      const plan = replayPlan(
        deadLetterOf("acme", "DLQ", stored({ ...DAEMON_COPY, ...override })),
        EVENTS,
      );
      assert.ok(!plan.ok, JSON.stringify(override));
      assert.match(plan.error, error);
    }
  });
});

describe("dlq selections", () => {
  const storedAt = (iso: string) => ({
    ...deadLetterOf("acme", "DLQ", stored(DAEMON_COPY)),
    time: new Date(iso),
  });

  test("--reason and --since", () => {
    const now = Date.parse("2026-12-01T12:00:00Z");
    const recent = storedAt("2026-12-01T11:30:00Z");
    const old = storedAt("2026-12-01T10:30:00Z");
    const sinceHour = parseSelection({ since: "1h" });
    assert.equal(selects(sinceHour, recent, now), true);
    assert.equal(selects(sinceHour, old, now), false);
    assert.equal(selects(parseSelection({}), old, now), true);
    assert.equal(selects(parseSelection({ reason: "terminal_status" }), old, now), true);
    assert.equal(selects(parseSelection({ reason: "max_attempts" }), old, now), false);
  });

  test("an unknown reason or a duration that does not parse is a SelectionError", () => {
    assert.throws(() => parseSelection({ reason: "nope" }), SelectionError);
    assert.throws(() => parseSelection({ since: "yesterday" }), SelectionError);
  });
});
