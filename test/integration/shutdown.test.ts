import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { runDaemon, singleAccountEnv, type SingleAccountEnv } from "../helpers/fixtures.js";

describe("shutdown timeout", () => {
  let env: SingleAccountEnv;

  before(async () => {
    // A receiver that takes far longer than the shutdown timeout to answer.
    env = await singleAccountEnv(
      { stream: "SLOW", subjects: ["slow.>"], consumer: "hook" },
      () => ({
        status: 200,
        delayMs: 20_000,
      }),
    );
  });

  after(() => env.close());

  test("cuts off deliveries still in flight and gives their messages back", async () => {
    const { server, receiver, acme } = env;
    const settings = {
      STREAMHOOK_NATS_SERVERS: server.url,
      STREAMHOOK_CREDENTIALS_FILE: acme.credsFile,
      STREAMHOOK_STREAM: "SLOW",
      STREAMHOOK_CONSUMER: "hook",
      STREAMHOOK_WEBHOOK_URL: receiver.url,
      STREAMHOOK_WEBHOOK_TIMEOUT: "60s",
      STREAMHOOK_DELIVERY_BACKOFF: "100ms",
      STREAMHOOK_SHUTDOWN_TIMEOUT: "500ms",
    };
    const first = runDaemon(settings).daemon;
    let stopped = false;
    try {
      await acme.js.publish("slow.x", JSON.stringify({ n: 1 }));
      await receiver.waitForCount(1);
      const started = Date.now();
      await first.stop();
      stopped = true;
      const took = Date.now() - started;
      assert.ok(took < 5_000, `stopped in ${String(took)} ms, not after the receiver's 20 s`);
    } finally {
      if (!stopped) await first.stop();
    }
    // Nak'd at the cut-off, so the next run gets it at once, not after the 30 s ack_wait.
    receiver.script(() => undefined);
    const second = runDaemon(settings).daemon;
    try {
      const requests = await receiver.waitForCount(2, 5_000);
      assert.equal(requests[1]?.headers["streamhook-attempt"], "2");
    } finally {
      await second.stop();
    }
  });
});
