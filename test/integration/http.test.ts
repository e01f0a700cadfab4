import assert from "node:assert/strict";
import { createServer } from "node:net";
import { after, before, describe, test } from "node:test";
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
