import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startReceiver, type Receiver } from "../../src/testing/receiver.js";
import {
  consumerIdle,
  runDaemon,
  singleAccountEnv,
  type SingleAccountEnv,
} from "../helpers/fixtures.js";
import { waitUntil } from "../helpers/wait.js";

const COUNT = 300;

/** SPEC section 13: events are best effort and never delay message delivery. */
describe("operator events: a dead events receiver", () => {
  let env: SingleAccountEnv;
  /** Takes every request and never answers. */
  let hanging: Receiver;

  before(async () => {
    env = await singleAccountEnv({ stream: "EV", subjects: ["ev.>"], consumer: "hook" });
    hanging = await startReceiver(() => ({ delayMs: 3_600_000 }));
  });

  after(async () => {
    await hanging.close();
    await env.close();
  });

  /** Publishes COUNT messages (one in ten malformed), runs the daemon until all are settled. */
  async function drain(
    round: number,
    extra: Record<string, string>,
  ): Promise<{ ms: number; failed: number | undefined }> {
    const { server, receiver, acme } = env;
    for (let i = 0; i < COUNT; i++) {
      await acme.js.publish("ev.x", i % 10 === 0 ? "not json" : JSON.stringify({ round, i }));
    }
    const started = Date.now();
    const { daemon } = runDaemon({
      STREAMHOOK_NATS_SERVERS: server.url,
      STREAMHOOK_CREDENTIALS_FILE: acme.credsFile,
      STREAMHOOK_STREAM: "EV",
      STREAMHOOK_CONSUMER: "hook",
      STREAMHOOK_WEBHOOK_URL: receiver.url,
      STREAMHOOK_HTTP_LISTEN: "127.0.0.1:0",
      ...extra,
    });
    try {
      await waitUntil(() => consumerIdle(acme.jsm, "EV", "hook"), {
        timeoutMs: 60_000,
        message: `round ${round} settled`,
      });
      const ms = Date.now() - started;
      const delivered = new Set(
        receiver.requests
          .filter((r) => r.text.includes(`"round":${round},`))
          .map((r) => r.headers["webhook-id"]),
      );
      assert.equal(delivered.size, COUNT - COUNT / 10, `round ${round}: every good message`);
      if (extra.STREAMHOOK_EVENTS_URL === undefined) return { ms, failed: undefined };
      const address = await daemon.httpAddress();
      assert.ok(address);
      let failed = 0;
      await waitUntil(
        async () => {
          const metrics = await (await fetch(`http://127.0.0.1:${address.port}/metrics`)).text();
          const match =
            /^streamhook_events_failed_total\{type="account\.running",reason="failed"\} (\d+)$/m.exec(
              metrics,
            );
          failed = Number(match?.[1] ?? 0);
          return failed > 0;
        },
        { timeoutMs: 30_000, message: "streamhook_events_failed_total rising" },
      );
      return { ms, failed };
    } finally {
      const stopping = Date.now();
      await daemon.stop();
      // The flush at shutdown waits for the hanging receiver no longer than events.timeout.
      assert.ok(Date.now() - stopping < 10_000, `stopped in ${Date.now() - stopping} ms`);
    }
  }

  test("every message is delivered as fast as without events, and the failures are counted", async (t) => {
    const without = await drain(1, {});
    const withDead = await drain(2, {
      STREAMHOOK_EVENTS_URL: hanging.url,
      STREAMHOOK_EVENTS_TIMEOUT: "300ms",
    });
    t.diagnostic(`${without.ms} ms without events, ${withDead.ms} ms with a dead events receiver`);
    assert.ok(hanging.requests.length > 0, "the events receiver was asked");
    assert.equal(withDead.failed, 1, "account.running failed after its attempts");
    // Generous for a loaded machine; waiting on events would add at least 300 ms per event.
    assert.ok(
      withDead.ms < without.ms * 3 + 3_000,
      `${withDead.ms} ms with a dead events receiver against ${without.ms} ms without`,
    );
  });
});
