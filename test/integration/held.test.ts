import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startNatsServer, type NatsServerHandle } from "../../src/testing/nats-server.js";
import { startReceiver, type Receiver } from "../../src/testing/receiver.js";
import {
  accountFixture,
  consumerIdle,
  runDaemon,
  tempDir,
  type AccountFixture,
} from "../helpers/fixtures.js";
import { waitUntil } from "../helpers/wait.js";

describe("held messages never reach ack_wait", () => {
  let server: NatsServerHandle;
  let receiver: Receiver;
  let acme: AccountFixture;
  const dir = tempDir();

  before(async () => {
    server = await startNatsServer({ accounts: ["acme"] });
    receiver = await startReceiver(() => ({ status: 200, delayMs: 300 }));
    acme = await accountFixture(server, "acme", dir.path, {
      stream: "SLOW",
      subjects: ["slow.>"],
      consumer: "hook",
      ackWaitMs: 2_000,
    });
  });

  after(async () => {
    await acme.close();
    await receiver.close();
    await server.stop();
    dir.remove();
  });

  test("30 messages through a 300 ms receiver one at a time, with ack_wait 2 s: each arrives once", async () => {
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
