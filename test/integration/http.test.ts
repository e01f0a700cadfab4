import assert from "node:assert/strict";
import { createServer } from "node:net";
import { after, before, describe, test } from "node:test";
import type { AccountReport } from "../../src/http/accounts-report.js";
import { provision } from "../../src/testing/nats-server.js";
import { runDaemon, singleAccountEnv, type SingleAccountEnv } from "../helpers/fixtures.js";
import { waitUntil } from "../helpers/wait.js";

interface Readiness {
  status: string;
  accounts: { name: string; state: string; reason?: string }[];
}

describe("HTTP probes", () => {
  let env: SingleAccountEnv;

  before(async () => {
    env = await singleAccountEnv({ stream: "READY", subjects: ["ready.>"], consumer: "hook" });
  });

  after(() => env.close());

  test("/healthz is ok while running; /readyz waits for every account, naming why", async () => {
    const { server, receiver, acme } = env;
    const { daemon } = runDaemon({
      STREAMHOOK_NATS_SERVERS: server.url,
      STREAMHOOK_CREDENTIALS_FILE: acme.credsFile,
      // Not provisioned yet: the account waits, and the daemon is not ready.
      STREAMHOOK_STREAM: "LATER",
      STREAMHOOK_CONSUMER: "hook",
      STREAMHOOK_WEBHOOK_URL: receiver.url,
      STREAMHOOK_WEBHOOK_SECRET: "whsec_c2VjcmV0LXZhbHVlLWZvci10ZXN0cw==",
      STREAMHOOK_HTTP_LISTEN: "127.0.0.1:0",
    });
    try {
      const address = await daemon.httpAddress();
      assert.ok(address);
      const base = `http://127.0.0.1:${address.port}`;
      const health = await fetch(`${base}/healthz`);
      assert.equal(health.status, 200);
      assert.deepEqual(await health.json(), { status: "ok" });

      await waitUntil(
        async () =>
          (await fetch(`${base}/readyz`)).status === 503 &&
          daemon.supervisor.accounts()[0]?.state === "waiting",
        { message: "not ready" },
      );
      const notReady = (await (await fetch(`${base}/readyz`)).json()) as Readiness;
      assert.equal(notReady.status, "not_ready");
      assert.deepEqual(
        notReady.accounts.map((a) => [a.name, a.state]),
        [["default", "waiting"]],
      );
      assert.match(notReady.accounts[0]?.reason ?? "", /stream "LATER" not found/);
      const raw = await (await fetch(`${base}/readyz`)).text();
      assert.ok(!raw.includes("c2VjcmV0"), "no secret in the body");

      await provision(acme.nc, { stream: "LATER", subjects: ["later.>"], consumer: "hook" });
      await waitUntil(async () => (await fetch(`${base}/readyz`)).status === 200, {
        timeoutMs: 15_000,
        message: "ready once the stream exists",
      });
      assert.equal((await fetch(`${base}/nope`)).status, 404);
    } finally {
      await daemon.stop();
    }
  });

  test("/accounts and /metrics count what happened to each account's messages", async () => {
    const { server, receiver, acme } = env;
    let failedOnce = false;
    receiver.script((request) => {
      if (!failedOnce && request.text.includes("retry-me")) {
        failedOnce = true;
        return { status: 503 };
      }
      return undefined;
    });
    const { daemon } = runDaemon(
      {
        STREAMHOOK_NATS_SERVERS: server.url,
        STREAMHOOK_CREDENTIALS_FILE: acme.credsFile,
        STREAMHOOK_STREAM: "READY",
        STREAMHOOK_CONSUMER: "hook",
        STREAMHOOK_TENANT_ID: "tenant-acme",
        STREAMHOOK_WEBHOOK_URL: receiver.url,
        STREAMHOOK_WEBHOOK_SECRET: "whsec_c2VjcmV0LXZhbHVlLWZvci10ZXN0cw==",
        STREAMHOOK_DELIVERY_BACKOFF: "100ms",
        STREAMHOOK_HTTP_LISTEN: "127.0.0.1:0",
      },
      { backlogIntervalMs: 200 },
    );
    try {
      const address = await daemon.httpAddress();
      assert.ok(address);
      const base = `http://127.0.0.1:${address.port}`;
      for (const body of [{ n: 1 }, { n: 2 }, { n: 3 }, { n: "retry-me" }]) {
        await acme.js.publish("ready.event", JSON.stringify(body));
      }
      await acme.js.publish("ready.event", "not json");

      let accounts: AccountReport[] = [];
      await waitUntil(
        async () => {
          accounts = (await (await fetch(`${base}/accounts`)).json()) as AccountReport[];
          const a = accounts[0];
          return (
            a?.delivered === 4 && a.dead_lettered === 1 && a.pending === 0 && a.ack_pending === 0
          );
        },
        { timeoutMs: 15_000, message: "4 delivered, 1 dead-lettered, nothing pending" },
      );
      assert.deepEqual(accounts, [
        {
          name: "default",
          tenant_id: "tenant-acme",
          state: "running",
          reason: null,
          stream: "READY",
          consumer: "hook",
          pending: 0,
          ack_pending: 0,
          delivered: 4,
          failed: 1,
          dead_lettered: 1,
          breaker: "closed",
        },
      ]);

      const res = await fetch(`${base}/metrics`);
      assert.equal(res.status, 200);
      assert.match(res.headers.get("content-type") ?? "", /^text\/plain/);
      const text = await res.text();
      const series = (line: string): void => {
        assert.ok(text.split("\n").includes(line), `expected the line ${line}`);
      };
      // 4 events, the retried one twice, the malformed one: 6 pulled.
      series('streamhook_messages_received_total{account="default"} 6');
      series('streamhook_messages_acked_total{account="default"} 4');
      series('streamhook_messages_nacked_total{account="default"} 1');
      series(
        'streamhook_messages_dead_lettered_total{account="default",reason="malformed_payload"} 1',
      );
      series('streamhook_delivery_attempts_total{account="default",result="success"} 4');
      series('streamhook_delivery_attempts_total{account="default",result="http_error"} 1');
      series('streamhook_delivery_duration_seconds_count{account="default"} 5');
      series('streamhook_end_to_end_seconds_count{account="default"} 4');
      series('streamhook_inflight_deliveries{account="default"} 0');
      series('streamhook_consumer_pending{account="default"} 0');
      series('streamhook_account_up{account="default"} 1');
      series("streamhook_queue_depth 0");
      series(`streamhook_breaker_open{account="default",origin="${receiver.origin}"} 0`);
      assert.match(text, /^process_resident_memory_bytes \d+/m);
      assert.ok(!text.includes("c2VjcmV0"), "no secret in the metrics");
    } finally {
      receiver.script(() => undefined);
      await daemon.stop();
    }
  });

  test("with http.token, the inventory needs the bearer token and the probes stay open", async () => {
    const { server, receiver, acme } = env;
    const token = "s3cret-inventory-token";
    const { daemon } = runDaemon({
      STREAMHOOK_NATS_SERVERS: server.url,
      STREAMHOOK_CREDENTIALS_FILE: acme.credsFile,
      STREAMHOOK_STREAM: "READY",
      STREAMHOOK_CONSUMER: "hook",
      STREAMHOOK_WEBHOOK_URL: receiver.url,
      STREAMHOOK_HTTP_LISTEN: "127.0.0.1:0",
      STREAMHOOK_HTTP_TOKEN: token,
    });
    try {
      const address = await daemon.httpAddress();
      assert.ok(address);
      const base = `http://127.0.0.1:${address.port}`;
      const status = async (path: string, authorization?: string): Promise<number> => {
        const res = await fetch(`${base}${path}`, {
          headers: authorization === undefined ? {} : { authorization },
        });
        await res.arrayBuffer();
        return res.status;
      };
      for (const path of ["/accounts", "/metrics"]) {
        assert.equal(await status(path), 401, `${path} without a token`);
        assert.equal(await status(path, "Bearer wrong"), 401, `${path} with a wrong token`);
        assert.equal(await status(path, `Bearer ${token}x`), 401, `${path} with a longer token`);
        assert.equal(await status(path, token), 401, `${path} without the Bearer scheme`);
        assert.equal(await status(path, `Bearer ${token}`), 200, `${path} with the token`);
      }
      const unauthorized = await fetch(`${base}/accounts`);
      assert.match(unauthorized.headers.get("www-authenticate") ?? "", /^Bearer/);
      assert.doesNotMatch(await unauthorized.text(), /acme|READY/);
      assert.equal(await status("/healthz"), 200);
      await waitUntil(async () => (await status("/readyz")) === 200, { message: "ready" });
    } finally {
      await daemon.stop();
    }
  });

  test("an address already in use is fatal", async () => {
    const { server, receiver, acme } = env;
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const { daemon } = runDaemon({
        STREAMHOOK_NATS_SERVERS: server.url,
        STREAMHOOK_CREDENTIALS_FILE: acme.credsFile,
        STREAMHOOK_STREAM: "READY",
        STREAMHOOK_CONSUMER: "hook",
        STREAMHOOK_WEBHOOK_URL: receiver.url,
        STREAMHOOK_HTTP_LISTEN: `127.0.0.1:${port}`,
      });
      await assert.rejects(daemon.done, /EADDRINUSE/);
    } finally {
      await new Promise<void>((resolve) =>
        blocker.close(() => {
          resolve();
        }),
      );
    }
  });
});
