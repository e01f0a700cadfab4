import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  consumerIdle,
  runDaemon,
  singleAccountEnv,
  type SingleAccountEnv,
} from "../helpers/fixtures.js";
import { waitUntil } from "../helpers/wait.js";

describe("circuit breaker: a receiver outage dead-letters nothing", () => {
  let env: SingleAccountEnv;
  let downUntil = 0;

  before(async () => {
    env = await singleAccountEnv(
      { stream: "OUTAGE", subjects: ["outage.>"], consumer: "hook" },
      () => ({ status: Date.now() < downUntil ? 503 : 200 }),
    );
    await env.acme.jsm.streams.add({ name: "OUTAGE_DLQ", subjects: ["dlq.outage"] });
  });

  after(() => env.close());

  test("503 for 20 s with max_attempts 3 and 1 s backoff: everything arrives after recovery", async () => {
    const { server, receiver, acme } = env;
    downUntil = Date.now() + 20_000;
    const count = 20;
    for (let i = 0; i < count; i++) await acme.js.publish("outage.x", JSON.stringify({ i }));
    const { daemon, logs } = runDaemon({
      STREAMHOOK_NATS_SERVERS: server.url,
      STREAMHOOK_CREDENTIALS_FILE: acme.credsFile,
      STREAMHOOK_STREAM: "OUTAGE",
      STREAMHOOK_CONSUMER: "hook",
      STREAMHOOK_WEBHOOK_URL: receiver.url,
      STREAMHOOK_DLQ_SUBJECT: "dlq.outage",
      STREAMHOOK_DELIVERY_MAX_ATTEMPTS: "3",
      STREAMHOOK_DELIVERY_BACKOFF: "1s",
      STREAMHOOK_BREAKER_FAILURE_THRESHOLD: "5",
      STREAMHOOK_BREAKER_COOLDOWN: "2s",
      STREAMHOOK_BREAKER_MAX_COOLDOWN: "4s",
    });
    try {
      await waitUntil(() => logs.some((l) => l.includes('"breaker":"open"')), {
        message: "breaker open",
      });
      const started = Date.now();
      await waitUntil(
        async () => Date.now() > downUntil && (await consumerIdle(acme.jsm, "OUTAGE", "hook")),
        { timeoutMs: 45_000, message: "everything delivered after the outage" },
      ).catch(async (error: unknown) => {
        // What a failure needs to be understood: where the messages are, and what the breaker did.
        const info = await acme.jsm.consumers.info("OUTAGE", "hook").catch(() => undefined);
        const breaker = logs
          .filter((l) => l.includes('"breaker"'))
          .map((l) => {
            const { time, breaker: state } = JSON.parse(l) as { time: number; breaker: string };
            return `${state}@${time - started}ms`;
          });
        throw new Error(
          `${(error as Error).message}; consumer num_pending ${info?.num_pending} ` +
            `num_ack_pending ${info?.num_ack_pending} num_redelivered ${info?.num_redelivered}; ` +
            `${receiver.requests.length} requests; breaker ${breaker.join(" ")}`,
          { cause: error },
        );
      });
      const accepted = new Set(
        receiver.requests
          .filter((r) => r.receivedAt >= downUntil)
          .map((r) => r.headers["webhook-id"]),
      );
      assert.equal(accepted.size, count, "every message was delivered");
      const dlq = await acme.jsm.streams.info("OUTAGE_DLQ");
      assert.equal(dlq.state.messages, 0, "nothing was dead-lettered");
      const during = receiver.requests.filter((r) => r.receivedAt < downUntil).length;
      assert.ok(
        during < count * 3,
        `the breaker spared the receiver: ${during} requests during the outage`,
      );
    } finally {
      await daemon.stop();
    }
  });
});
