import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { takesTermReason } from "../../src/nats/server-version.js";
import { startNatsServer, type NatsServerHandle } from "../../src/testing/nats-server.js";
import { startReceiver, type Receiver, type RecordedRequest } from "../../src/testing/receiver.js";
import {
  accountFixture,
  consumerIdle,
  runDaemon,
  tempDir,
  type AccountFixture,
} from "../helpers/fixtures.js";
import { waitUntil } from "../helpers/wait.js";

describe("delivery outcomes: retries, Retry-After, dead letters", () => {
  let server: NatsServerHandle;
  let receiver: Receiver;
  const dir = tempDir();
  const fixtures: AccountFixture[] = [];
  /** Per stream: how the receiver answers the n-th request of that stream. */
  const scripts = new Map<
    string,
    (n: number) => { status: number; headers?: Record<string, string> }
  >();

  before(async () => {
    server = await startNatsServer({ accounts: ["acme"] });
    const counts = new Map<string, number>();
    receiver = await startReceiver((r) => {
      const stream = r.headers["streamhook-stream"] ?? "";
      const n = (counts.get(stream) ?? 0) + 1;
      counts.set(stream, n);
      return scripts.get(stream)?.(n);
    });
  });

  after(async () => {
    for (const f of fixtures) await f.close();
    await receiver.close();
    await server.stop();
    dir.remove();
  });

  async function setup(stream: string, withDlq = false): Promise<AccountFixture> {
    const fixture = await accountFixture(server, "acme", dir.path, {
      stream,
      subjects: [`${stream.toLowerCase()}.>`],
      consumer: "hook",
    });
    if (withDlq) {
      await fixture.jsm.streams.add({
        name: `${stream}_DLQ`,
        subjects: [`dlq.${stream.toLowerCase()}`],
      });
    }
    fixtures.push(fixture);
    return fixture;
  }

  function daemonFor(fixture: AccountFixture, stream: string, env: Record<string, string> = {}) {
    return runDaemon({
      STREAMHOOK_NATS_SERVERS: server.url,
      STREAMHOOK_CREDENTIALS_FILE: fixture.credsFile,
      STREAMHOOK_STREAM: stream,
      STREAMHOOK_CONSUMER: "hook",
      STREAMHOOK_WEBHOOK_URL: receiver.url,
      ...env,
    });
  }

  const of = (stream: string): RecordedRequest[] =>
    receiver.requests.filter((r) => r.headers["streamhook-stream"] === stream);

  test("503 twice then 200: delivered on the third attempt, after at least the configured delays", async () => {
    const stream = "FLAKY";
    const acme = await setup(stream);
    scripts.set(stream, (n) => ({ status: n <= 2 ? 503 : 200 }));
    await acme.js.publish("flaky.x", JSON.stringify({ n: 1 }));
    const { daemon } = daemonFor(acme, stream, { STREAMHOOK_DELIVERY_BACKOFF: "400ms,800ms" });
    try {
      await waitUntil(
        async () => of(stream).length >= 3 && (await consumerIdle(acme.jsm, stream, "hook")),
        {
          message: "third attempt acked",
        },
      );
      const [a, b, c] = of(stream);
      assert.ok(a && b && c);
      assert.deepEqual(
        [a, b, c].map((r) => r.headers["streamhook-attempt"]),
        ["1", "2", "3"],
      );
      // Jitter takes off at most 20%.
      assert.ok(
        b.receivedAt - a.receivedAt >= 320,
        `first delay ${b.receivedAt - a.receivedAt} ms`,
      );
      assert.ok(
        c.receivedAt - b.receivedAt >= 640,
        `second delay ${c.receivedAt - b.receivedAt} ms`,
      );
      assert.equal(of(stream).length, 3);
    } finally {
      await daemon.stop();
    }
  });

  test("429 with Retry-After: 2 makes the next attempt wait at least 2 s", async () => {
    const stream = "LIMITED";
    const acme = await setup(stream);
    scripts.set(stream, (n) =>
      n === 1 ? { status: 429, headers: { "retry-after": "2" } } : { status: 200 },
    );
    await acme.js.publish("limited.x", JSON.stringify({ n: 1 }));
    const { daemon } = daemonFor(acme, stream, { STREAMHOOK_DELIVERY_BACKOFF: "100ms" });
    try {
      await receiver.waitFor(() => of(stream).length >= 2, { timeoutMs: 10_000 });
      const [a, b] = of(stream);
      assert.ok(a && b);
      assert.ok(b.receivedAt - a.receivedAt >= 2_000, `waited ${b.receivedAt - a.receivedAt} ms`);
    } finally {
      await daemon.stop();
    }
  });

  test("400 is dead-lettered at once with the reason headers; nothing stays pending", async () => {
    const stream = "REJECTED";
    const acme = await setup(stream, true);
    scripts.set(stream, () => ({ status: 400 }));
    await acme.js.publish("rejected.x", JSON.stringify({ bad: "request" }));
    const reasons: string[] = [];
    const advisories = acme.nc.subscribe(`$JS.EVENT.ADVISORY.CONSUMER.MSG_TERMINATED.${stream}.>`, {
      callback: (_error, m) => {
        reasons.push(m.json<{ reason?: string }>().reason ?? "");
      },
    });
    const { daemon } = daemonFor(acme, stream, { STREAMHOOK_DLQ_SUBJECT: "dlq.rejected" });
    try {
      await waitUntil(() => consumerIdle(acme.jsm, stream, "hook"), { message: "consumer idle" });
      // 2.10 and later carry the reason into the advisory; 2.9 terminates without one (and would
      // have left the message pending, failing the wait above, had it been sent one).
      const withReason = takesTermReason(acme.nc.info?.version);
      await waitUntil(() => reasons.length === 1, { message: "one MSG_TERMINATED advisory" });
      assert.equal(reasons[0], withReason ? "streamhook: terminal_status 400" : "");
      assert.equal(of(stream).length, 1, "no retry after a terminal status");
      const stored = await acme.jsm.streams.getMessage(`${stream}_DLQ`, { seq: 1 });
      assert.ok(stored !== null);
      assert.equal(stored.header.get("streamhook-dlq-reason"), "terminal_status");
      assert.equal(stored.header.get("streamhook-dlq-status"), "400");
      assert.equal(stored.header.get("streamhook-dlq-attempts"), "1");
      assert.equal(stored.header.get("streamhook-stream"), stream);
      assert.equal(stored.header.get("streamhook-sequence"), "1");
      assert.equal(stored.header.get("streamhook-subject"), "rejected.x");
      assert.deepEqual(stored.json(), { bad: "request" });
    } finally {
      advisories.unsubscribe();
      await daemon.stop();
    }
  });

  test("without a DLQ subject a terminal failure is terminated and logged at error level", async () => {
    const stream = "NODLQ";
    const acme = await setup(stream);
    scripts.set(stream, () => ({ status: 422 }));
    await acme.js.publish("nodlq.x", JSON.stringify({ n: 1 }));
    const { daemon, logs } = daemonFor(acme, stream);
    try {
      await waitUntil(() => consumerIdle(acme.jsm, stream, "hook"), { message: "consumer idle" });
      const line = logs
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .find((l) => l.reason === "terminal_status");
      assert.ok(line, "an error line names the reason");
      assert.equal(line.level, 50);
      assert.equal(line.status, 422);
      assert.equal(line.account, "default");
    } finally {
      await daemon.stop();
    }
  });

  test("a message over delivery.max_message_bytes is dead-lettered as too_large, never sent", async () => {
    const stream = "BIG";
    const acme = await setup(stream, true);
    scripts.set(stream, () => ({ status: 200 }));
    await acme.js.publish("big.x", JSON.stringify({ pad: "x".repeat(2_000) }));
    await acme.js.publish("big.y", JSON.stringify({ small: true }));
    const { daemon } = daemonFor(acme, stream, {
      STREAMHOOK_DLQ_SUBJECT: "dlq.big",
      STREAMHOOK_DELIVERY_MAX_MESSAGE_BYTES: "1024",
    });
    try {
      await waitUntil(() => consumerIdle(acme.jsm, stream, "hook"), { message: "consumer idle" });
      assert.deepEqual(
        of(stream).map((r) => r.text),
        [JSON.stringify({ small: true })],
        "only the small one was sent",
      );
      const stored = await acme.jsm.streams.getMessage(`${stream}_DLQ`, { seq: 1 });
      assert.ok(stored !== null);
      assert.equal(stored.header.get("streamhook-dlq-reason"), "too_large");
      assert.match(stored.header.get("streamhook-dlq-error"), /over delivery\.max_message_bytes/);
      assert.equal(stored.header.get("streamhook-subject"), "big.x");
    } finally {
      await daemon.stop();
    }
  });

  test("max_attempts reached: dead-lettered with reason max_attempts", async () => {
    const stream = "DOWN";
    const acme = await setup(stream, true);
    scripts.set(stream, () => ({ status: 500 }));
    await acme.js.publish("down.x", JSON.stringify({ n: 1 }));
    const { daemon } = daemonFor(acme, stream, {
      STREAMHOOK_DLQ_SUBJECT: "dlq.down",
      STREAMHOOK_DELIVERY_MAX_ATTEMPTS: "3",
      STREAMHOOK_DELIVERY_BACKOFF: "100ms",
    });
    try {
      await waitUntil(() => consumerIdle(acme.jsm, stream, "hook"), { message: "consumer idle" });
      assert.equal(of(stream).length, 3);
      const stored = await acme.jsm.streams.getMessage(`${stream}_DLQ`, { seq: 1 });
      assert.ok(stored !== null);
      assert.equal(stored.header.get("streamhook-dlq-reason"), "max_attempts");
      assert.equal(stored.header.get("streamhook-dlq-status"), "500");
      assert.equal(stored.header.get("streamhook-dlq-attempts"), "3");
    } finally {
      await daemon.stop();
    }
  });

  test("a DLQ subject that no stream captures loses nothing: the message stays deliverable", async () => {
    const stream = "NOWHERE";
    const acme = await setup(stream);
    let reject = true;
    scripts.set(stream, () => ({ status: reject ? 400 : 200 }));
    await acme.js.publish("nowhere.x", JSON.stringify({ keep: "me" }));
    const { daemon, logs } = daemonFor(acme, stream, {
      STREAMHOOK_DLQ_SUBJECT: "dlq.unbound",
      STREAMHOOK_DELIVERY_BACKOFF: "200ms",
    });
    try {
      await waitUntil(() => logs.some((l) => l.includes("DLQ publish failed")), {
        message: "DLQ failure",
      });
      const info = await acme.jsm.consumers.info(stream, "hook");
      assert.equal(info.num_pending + info.num_ack_pending, 1, "still held by the consumer");
      reject = false;
      await waitUntil(
        async () => (await consumerIdle(acme.jsm, stream, "hook")) && of(stream).length >= 2,
        {
          message: "delivered once the receiver accepts it",
        },
      );
      assert.equal(of(stream).at(-1)?.text, JSON.stringify({ keep: "me" }));
    } finally {
      await daemon.stop();
    }
  });
});
