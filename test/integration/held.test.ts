import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  consumerIdle,
  runDaemon,
  singleAccountEnv,
  type SingleAccountEnv,
} from "../helpers/fixtures.js";
import { waitUntil } from "../helpers/wait.js";

describe("held messages never reach ack_wait", () => {
  let env: SingleAccountEnv;

  before(async () => {
    env = await singleAccountEnv(
      { stream: "SLOW", subjects: ["slow.>"], consumer: "hook", ackWaitMs: 2_000 },
      () => ({ status: 200, delayMs: 300 }),
    );
  });

  after(() => env.close());

  test("30 messages through a 300 ms receiver one at a time, with ack_wait 2 s: each arrives once", async () => {
    const { server, receiver, acme } = env;
    for (let i = 0; i < 30; i++) await acme.js.publish("slow.x", JSON.stringify({ i }));
    const { daemon } = runDaemon({
      STREAMHOOK_NATS_SERVERS: server.url,
      STREAMHOOK_CREDENTIALS_FILE: acme.credsFile,
      STREAMHOOK_STREAM: "SLOW",
      STREAMHOOK_CONSUMER: "hook",
      STREAMHOOK_WEBHOOK_URL: receiver.url,
      STREAMHOOK_DELIVERY_CONCURRENCY: "1",
    });
    try {
      await receiver.waitFor((rs) => rs.length >= 30, { timeoutMs: 30_000 });
      await waitUntil(() => consumerIdle(acme.jsm, "SLOW", "hook"), { message: "consumer idle" });
      const ids = receiver.requests.map((r) => r.headers["webhook-id"]);
      assert.equal(receiver.requests.length, 30, "no duplicates");
      assert.equal(new Set(ids).size, 30);
      assert.ok(receiver.requests.every((r) => r.headers["streamhook-attempt"] === "1"));
      const info = await acme.jsm.consumers.info("SLOW", "hook");
      assert.equal(info.num_redelivered, 0);
    } finally {
      await daemon.stop();
    }
  });
});
