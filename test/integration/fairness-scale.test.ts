import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { pino } from "pino";
import { loadConfig } from "../../src/config/index.js";
import { startDaemon, type Daemon } from "../../src/daemon.js";
import {
  provision,
  startNatsServer,
  type NatsServerHandle,
} from "../../src/testing/nats-server.js";
import { startReceiver, type Receiver } from "../../src/testing/receiver.js";
import { connectAsNewUser, LOOPBACK, tempDir } from "../helpers/fixtures.js";
import { waitUntil } from "../helpers/wait.js";

const SCALE = 200;

/** An account directory for `name`; `creds` defaults to a new user's. */
async function writeAccount(
  server: NatsServerHandle,
  root: string,
  name: string,
  creds?: string,
): Promise<void> {
  const accountDir = join(root, name);
  mkdirSync(accountDir, { recursive: true });
  writeFileSync(join(accountDir, "user.creds"), creds ?? (await server.userCreds(name)), {
    mode: 0o600,
  });
  writeFileSync(
    join(accountDir, "meta.yaml"),
    `stream: EVENTS\nconsumer: webhook\ntenant_id: ${name}\n`,
  );
}

describe("fairness: a backlog in one account does not delay another", () => {
  let server: NatsServerHandle;
  let receiver: Receiver;
  let daemon: Daemon | undefined;
  const dir = tempDir();

  before(async () => {
    server = await startNatsServer({ accounts: ["busy", "quiet"] });
    // The busy account's receiver is slow; everything else answers at once.
    receiver = await startReceiver((r) =>
      r.headers["streamhook-account"] === "busy" ? { status: 200, delayMs: 40 } : undefined,
    );
  });

  after(async () => {
    await daemon?.stop();
    await receiver.close();
    await server.stop();
    dir.remove();
  });

  test("the quiet account's message arrives in well under a second", async () => {
    const root = join(dir.path, "accounts");
    for (const name of ["busy", "quiet"]) {
      await provision(
        { url: server.url, creds: await server.userCreds(name) },
        { stream: "EVENTS", subjects: ["events.>"], consumer: "webhook" },
      );
      await writeAccount(server, root, name);
    }
    const busy = await connectAsNewUser(server, "busy");
    const quiet = await connectAsNewUser(server, "quiet");
    try {
      const { js } = busy;
      const backlog = Array.from({ length: 3_000 }, (_, i) =>
        js.publish("events.x", JSON.stringify({ i })),
      );
      await Promise.all(backlog);
      daemon = startDaemon({
        config: loadConfig({
          env: {
            STREAMHOOK_NATS_SERVERS: server.url,
            STREAMHOOK_ACCOUNTS_DIR: root,
            STREAMHOOK_WEBHOOK_URL: receiver.url,
            STREAMHOOK_HTTP_LISTEN: "off",
            STREAMHOOK_WEBHOOK_ALLOWED_NETWORKS: LOOPBACK,
            // Few delivery slots, all of which the busy account could take.
            STREAMHOOK_DELIVERY_CONCURRENCY: "4",
            STREAMHOOK_DELIVERY_ACCOUNT_CONCURRENCY: "4",
          },
        }),
        logger: pino({ level: "silent" }),
      });
      const running = daemon;
      await waitUntil(() => running.supervisor.accounts().every((a) => a.state === "running"));
      await receiver.waitFor((rs) => rs.length >= 20, { timeoutMs: 10_000 });

      const latencies: number[] = [];
      for (let i = 0; i < 5; i++) {
        const sent = Date.now();
        await quiet.js.publish("events.q", JSON.stringify({ q: i }));
        await receiver.waitFor((rs) =>
          rs.some((r) => {
            const body = JSON.parse(r.text) as { q?: unknown; tenant_id?: unknown };
            return body.q === i && body.tenant_id === "quiet";
          }),
        );
        latencies.push(Date.now() - sent);
      }
      const busyDelivered = receiver.requests.filter(
        (r) => r.headers["streamhook-account"] === "busy",
      ).length;
      assert.ok(busyDelivered < 3_000, "the backlog was still being worked through");
      assert.ok(
        Math.max(...latencies) < 500,
        `quiet account latencies: ${latencies.join(", ")} ms`,
      );
    } finally {
      await busy.close();
      await quiet.close();
    }
  });
});

describe(`scale: ${SCALE} accounts`, () => {
  let server: NatsServerHandle;
  let daemon: Daemon | undefined;
  const dir = tempDir();
  const names = Array.from({ length: SCALE }, (_, i) => `t${String(i).padStart(4, "0")}`);

  before(async () => {
    server = await startNatsServer({ accounts: names });
    const root = join(dir.path, "accounts");
    // A few at a time: the test's own connections use the stock pure-JS creds signer.
    for (let i = 0; i < names.length; i += 10) {
      await Promise.all(
        names.slice(i, i + 10).map(async (name) => {
          // Generating a user costs tens of milliseconds of pure-JS signing: one per account.
          const creds = await server.userCreds(name);
          await provision(
            { url: server.url, creds },
            { stream: "EVENTS", subjects: ["events.>"], consumer: "webhook" },
          );
          await writeAccount(server, root, name, creds);
        }),
      );
    }
  });

  after(async () => {
    await daemon?.stop();
    await server.stop();
    dir.remove();
  });

  test("every account reaches running quickly", async () => {
    const started = Date.now();
    daemon = startDaemon({
      config: loadConfig({
        env: {
          STREAMHOOK_NATS_SERVERS: server.url,
          STREAMHOOK_ACCOUNTS_DIR: join(dir.path, "accounts"),
          STREAMHOOK_WEBHOOK_URL: "http://127.0.0.1:9/unused",
          STREAMHOOK_HTTP_LISTEN: "off",
        },
      }),
      logger: pino({ level: "silent" }),
    });
    const running = daemon;
    await waitUntil(
      () => {
        const accounts = running.supervisor.accounts();
        return accounts.length === SCALE && accounts.every((a) => a.state === "running");
      },
      { timeoutMs: 15_000, message: `${SCALE} accounts running` },
    );
    const elapsed = Date.now() - started;
    // The contract is 1000 accounts within 10 s; a fifth of them gets a fifth of the time.
    assert.ok(elapsed < 2_000 + 10_000 * (SCALE / 1000), `${SCALE} accounts took ${elapsed} ms`);
  });
});
