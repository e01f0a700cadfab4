import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { DeadLetterWindows } from "../../src/events/dead-letter-windows.js";
import { EventQueue } from "../../src/events/event-queue.js";
import { encodeEvent, MAX_TEXT, type EncodedEvent } from "../../src/events/operator-event.js";

const acme = { account: "acme", tenantId: "tenant-acme" };
const globex = { account: "globex", tenantId: undefined };

/** An event whose body is `bytes` long, told apart by `id`. */
const sized = (id: string, bytes: number): EncodedEvent => ({
  type: "account.running",
  id,
  body: Buffer.alloc(bytes),
});

describe("encodeEvent", () => {
  test("the body is {type, timestamp, account, tenant_id, data}; tenant_id null when unset", () => {
    const event = encodeEvent("account.waiting", globex, { reason: "stream missing" }, 0);
    assert.deepEqual(JSON.parse(event.body.toString()), {
      type: "account.waiting",
      timestamp: "1970-01-01T00:00:00.000Z",
      account: "globex",
      tenant_id: null,
      data: { reason: "stream missing" },
    });
    assert.equal(event.type, "account.waiting");
  });

  test("ids are unique and have no dot, which the signed content uses as a delimiter", () => {
    const ids = new Set(
      Array.from({ length: 100 }, () => encodeEvent("account.running", acme, {}).id),
    );
    assert.equal(ids.size, 100);
    for (const id of ids) assert.match(id, /^evt_[^.]+$/);
  });

  test("long texts are cut, however deep in the data they are", () => {
    const long = "x".repeat(MAX_TEXT * 3);
    const event = encodeEvent("account.invalid", acme, { reason: long, inner: { long } });
    const { data } = JSON.parse(event.body.toString()) as {
      data: { reason: string; inner: { long: string } };
    };
    assert.equal(data.reason.length, MAX_TEXT);
    assert.equal(data.inner.long.length, MAX_TEXT);
  });
});

describe("EventQueue", () => {
  test("first in, first out, with its bytes counted", () => {
    const queue = new EventQueue({ capacity: 10, capacityBytes: 1000 });
    assert.deepEqual(queue.push(sized("a", 10)), []);
    assert.deepEqual(queue.push(sized("b", 20)), []);
    assert.equal(queue.length, 2);
    assert.equal(queue.bytes, 30);
    assert.equal(queue.shift()?.id, "a");
    assert.equal(queue.bytes, 20);
    assert.equal(queue.shift()?.id, "b");
    assert.equal(queue.shift(), undefined);
    assert.equal(queue.bytes, 0);
  });

  test("full by count, the oldest is dropped and returned", () => {
    const queue = new EventQueue({ capacity: 3, capacityBytes: 1000 });
    for (const id of ["a", "b", "c"]) queue.push(sized(id, 1));
    assert.deepEqual(
      queue.push(sized("d", 1)).map((e) => e.id),
      ["a"],
    );
    assert.deepEqual(
      queue.clear().map((e) => e.id),
      ["b", "c", "d"],
    );
    assert.equal(queue.bytes, 0);
  });

  test("full by bytes, as many of the oldest go as make room", () => {
    const queue = new EventQueue({ capacity: 100, capacityBytes: 100 });
    for (const id of ["a", "b", "c", "d"]) queue.push(sized(id, 25));
    assert.deepEqual(
      queue.push(sized("big", 60)).map((e) => e.id),
      ["a", "b", "c"],
    );
    assert.equal(queue.bytes, 85);
    assert.equal(queue.length, 2);
  });

  test("an event larger than the whole budget is dropped itself, and the queue kept", () => {
    const queue = new EventQueue({ capacity: 100, capacityBytes: 100 });
    queue.push(sized("a", 50));
    assert.deepEqual(
      queue.push(sized("huge", 101)).map((e) => e.id),
      ["huge"],
    );
    assert.equal(queue.shift()?.id, "a");
  });
});

describe("DeadLetterWindows", () => {
  test("dead letters within a window are one summary, counted by reason, when it ends", () => {
    const windows = new DeadLetterWindows(10_000);
    assert.equal(windows.record(acme, "max_attempts", 1_000), 11_000, "the first opens it");
    assert.equal(windows.record(acme, "max_attempts", 2_000), undefined);
    assert.equal(windows.record(acme, "malformed_payload", 10_999), undefined);
    assert.deepEqual(windows.take(10_999), [], "not before it ends");
    assert.deepEqual(windows.take(11_000), [
      { subject: acme, counts: { max_attempts: 2, malformed_payload: 1 } },
    ]);
    assert.deepEqual(windows.take(50_000), [], "taken once");
  });

  test("the next window opens with the next dead letter, never sooner than a window later", () => {
    const windows = new DeadLetterWindows(10_000);
    windows.record(acme, "too_large", 0);
    windows.take(10_000);
    assert.equal(windows.record(acme, "too_large", 30_000), 40_000);
    assert.deepEqual(windows.take(40_000), [{ subject: acme, counts: { too_large: 1 } }]);
  });

  test("each account has its own window", () => {
    const windows = new DeadLetterWindows(10_000);
    windows.record(acme, "max_attempts", 0);
    assert.equal(windows.record(globex, "terminal_status", 5_000), 15_000);
    assert.deepEqual(windows.take(10_000), [{ subject: acme, counts: { max_attempts: 1 } }]);
    assert.deepEqual(windows.take(15_000), [{ subject: globex, counts: { terminal_status: 1 } }]);
  });

  test("takeAll ends every window at once, for shutdown", () => {
    const windows = new DeadLetterWindows(10_000);
    windows.record(acme, "max_attempts", 0);
    windows.record(globex, "max_attempts", 1);
    assert.deepEqual(
      windows.takeAll().map((s) => s.subject.account),
      ["acme", "globex"],
    );
    assert.deepEqual(windows.takeAll(), []);
  });
});
