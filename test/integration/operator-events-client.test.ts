import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { pino } from "pino";
import { Webhook } from "standardwebhooks";
import {
  createOperatorEvents,
  type EventFailure,
  type OperatorEventsOptions,
} from "../../src/events/operator-events.js";
import type { EventType } from "../../src/events/operator-event.js";
import { startReceiver, type Receiver, type Script } from "../../src/testing/receiver.js";
import { newSecret } from "../helpers/fixtures.js";

const acme = { account: "acme", tenantId: "tenant-acme" };

/** The operator events on their own, against a real receiver on loopback. */
describe("operator events: sending", () => {
  const receivers: Receiver[] = [];
  after(async () => {
    for (const receiver of receivers) await receiver.close();
  });

  async function setUp(script: Script, options: Partial<OperatorEventsOptions> = {}) {
    const receiver = await startReceiver(script);
    receivers.push(receiver);
    const failures: [EventType, EventFailure][] = [];
    const events = createOperatorEvents({
      url: receiver.url,
      secret: undefined,
      previousSecret: undefined,
      timeoutMs: 2_000,
      userAgent: "streamhook/test",
      logger: pino({ level: "silent" }),
      observer: {
        eventFailed(type, reason) {
          failures.push([type, reason]);
        },
      },
      retry: { backoffMs: [10] },
      ...options,
    });
    return { receiver, events, failures };
  }

  test("a retryable failure is tried again with the same id, signed by each key", async () => {
    const secret = newSecret();
    const previous = newSecret();
    const { receiver, events, failures } = await setUp(
      (_request, index) => ({ status: index === 0 ? 503 : 200 }),
      { secret, previousSecret: previous },
    );
    events.sink.emit("account.waiting", acme, { reason: "stream not found" });
    const requests = await receiver.waitForCount(2);
    await events.close(1_000);
    const [first, second] = requests;
    assert.ok(first && second);
    assert.equal(first.headers["webhook-id"], second.headers["webhook-id"]);
    const { timestamp } = JSON.parse(second.text) as { timestamp: string };
    for (const key of [secret, previous]) {
      assert.deepEqual(new Webhook(key).verify(second.text, second.headers), {
        type: "account.waiting",
        timestamp,
        account: "acme",
        tenant_id: "tenant-acme",
        data: { reason: "stream not found" },
      });
    }
    assert.equal(second.headers["user-agent"], "streamhook/test");
    assert.deepEqual(failures, []);
  });

  test("an answer that cannot change is not retried, and is counted as failed", async () => {
    const { receiver, events, failures } = await setUp(() => ({ status: 401 }));
    events.sink.emit("breaker.opened", acme, { origin: "http://x", cooldown_ms: 5 });
    await receiver.waitForCount(1);
    await events.close(1_000);
    assert.equal(receiver.requests.length, 1);
    assert.deepEqual(failures, [["breaker.opened", "failed"]]);
  });

  test("unsigned without a secret", async () => {
    const { receiver, events } = await setUp(() => undefined);
    events.sink.emit("account.running", acme, {});
    const [request] = await receiver.waitForCount(1);
    await events.close(1_000);
    assert.equal(request?.headers["webhook-signature"], undefined);
    assert.ok(request?.headers["webhook-timestamp"]);
  });

  test("a full queue drops its oldest; shutdown sends the open dead-letter window at once", async () => {
    // The first request is held, so the queue behind it fills up.
    const { receiver, events, failures } = await setUp(
      (_r, index) => (index === 0 ? { delayMs: 60_000 } : undefined),
      { queueCapacity: 2, timeoutMs: 2_000, retry: { maxAttempts: 1 } },
    );
    events.sink.emit("account.running", acme, { n: 0 });
    await receiver.waitForCount(1);
    for (let n = 1; n <= 4; n++) events.sink.emit("account.waiting", acme, { n });
    assert.deepEqual(failures, [
      ["account.waiting", "dropped"],
      ["account.waiting", "dropped"],
    ]);
    events.sink.deadLettered(acme, "max_attempts");
    events.sink.deadLettered(acme, "max_attempts");
    const started = Date.now();
    await events.close(10_000);
    assert.ok(Date.now() - started < 10_000, "the queue emptied before the deadline");
    const sent = receiver.requests.slice(1).map((r) => JSON.parse(r.text) as { data: unknown });
    // The queue held n 3 and 4; the window's event pushed n 3 out and went last.
    assert.deepEqual(
      sent.map((e) => e.data),
      [{ n: 4 }, { counts: { max_attempts: 2 } }],
    );
    // n 3 made room for the window's event at once; the held request timed out after that.
    assert.deepEqual(failures.slice(2), [
      ["account.waiting", "dropped"],
      ["account.running", "failed"],
    ]);
  });
});
