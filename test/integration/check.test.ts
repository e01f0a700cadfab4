import assert from "node:assert/strict";
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { freePort, startNatsServer, type NatsServerHandle } from "../../src/testing/nats-server.js";
import type { CheckJson } from "../../src/check/report.js";
import { accountFixture, tempDir, type AccountFixture } from "../helpers/fixtures.js";
import { runCli, type CliRun } from "../helpers/cli-process.js";

const RESOURCES = { stream: "EVENTS", subjects: ["events.>"], consumer: "webhook" } as const;

describe("check command", () => {
  let server: NatsServerHandle;
  const fixtures: AccountFixture[] = [];
  const dir = tempDir();
  let roots = 0;

  before(async () => {
    server = await startNatsServer({ accounts: ["acme", "beta", "gamma", "delta"] });
    const acme = await accountFixture(server, "acme", dir.path, RESOURCES);
    fixtures.push(acme);
    await acme.js.publish("events.a", "{}");
    await acme.js.publish("events.b", "{}");
    // Redelivery settings that work against streamhook's defaults (10 attempts, 10 s timeout).
    fixtures.push(
      await accountFixture(server, "beta", dir.path, {
        ...RESOURCES,
        maxDeliver: 3,
        ackWaitMs: 2_000,
      }),
    );
    const gamma = await accountFixture(server, "gamma", dir.path, RESOURCES);
    fixtures.push(gamma);
    await gamma.jsm.consumers.delete(RESOURCES.stream, RESOURCES.consumer);
  });

  after(async () => {
    for (const fixture of fixtures) await fixture.close();
    await server.stop();
    dir.remove();
  });

  /** A fresh accounts directory, so every test sees only the accounts it writes. */
  function accountsRoot(): string {
    const root = join(dir.path, `accounts-${++roots}`);
    mkdirSync(root);
    return root;
  }

  /** An account directory as an operator writes it: `user.creds` of a new user, then meta.yaml. */
  async function addAccount(
    root: string,
    name: string,
    options: { credsMode?: number; expired?: boolean; meta?: string; creds?: false } = {},
  ): Promise<string> {
    const accountDir = join(root, name);
    mkdirSync(accountDir);
    const creds = join(accountDir, "user.creds");
    if (options.creds !== false) {
      await server.writeCreds(
        name,
        creds,
        options.expired === true ? { expiresInSeconds: -60 } : {},
      );
    }
    if (options.credsMode !== undefined) chmodSync(creds, options.credsMode);
    writeFileSync(
      join(accountDir, "meta.yaml"),
      options.meta ?? `stream: EVENTS\nconsumer: webhook\ntenant_id: tenant-${name}\n`,
    );
    return creds;
  }

  function check(args: string[], env: Record<string, string>): CliRun {
    return runCli(["check", ...args], {
      STREAMHOOK_NATS_SERVERS: server.url,
      STREAMHOOK_WEBHOOK_URL: "http://127.0.0.1:9/hook",
      ...env,
    });
  }

  async function finished(run: CliRun): Promise<number | null> {
    try {
      return await run.exit;
    } finally {
      await run.kill();
    }
  }

  test("every account usable: a table, no warnings, exit 0, and no secret printed", async () => {
    const root = accountsRoot();
    const creds = await addAccount(root, "acme");
    const run = check([], { STREAMHOOK_ACCOUNTS_DIR: root });
    assert.equal(await finished(run), 0, run.stderr() + run.stdout());
    const out = run.stdout();
    assert.match(out, /^ACCOUNT\s+TENANT\s+STREAM\s+CONSUMER\s+STATUS\s+DETAIL$/m);
    assert.match(out, /^acme\s+tenant-acme\s+EVENTS\s+webhook\s+ok\s+pending 2, ack pending 0$/m);
    assert.match(out, /1 of 1 accounts usable/);
    assert.doesNotMatch(out, /Warnings/);
    const seed = /SU[A-Z2-7]{40,}/.exec(readFileSync(creds, "utf8"))?.[0];
    assert.ok(seed !== undefined && !out.includes(seed), "the creds seed is never printed");
  });

  test("--json: every field, and warnings for max_deliver, ack_wait and a 0644 creds file", async () => {
    const root = accountsRoot();
    await addAccount(root, "acme");
    await addAccount(root, "beta", { credsMode: 0o644 });
    const run = check(["--json"], { STREAMHOOK_ACCOUNTS_DIR: root });
    assert.equal(await finished(run), 0, run.stderr() + run.stdout());
    const report = JSON.parse(run.stdout()) as CheckJson;
    assert.equal(report.ok, true);
    assert.deepEqual(report.accounts[0], {
      name: "acme",
      source: "directory",
      tenant_id: "tenant-acme",
      stream: "EVENTS",
      consumer: "webhook",
      paused: false,
      usable: true,
      reason: null,
      pending: 2,
      ack_pending: 0,
      warnings: [],
    });
    const beta = report.accounts[1];
    assert.equal(beta?.name, "beta");
    assert.equal(beta.usable, true);
    assert.equal(beta.warnings.length, 3, beta.warnings.join("\n"));
    assert.ok(beta.warnings.some((w) => /max_deliver \(3\).*max_attempts \(10\)/.test(w)));
    assert.ok(beta.warnings.some((w) => /ack_wait \(2s\).*webhook\.timeout \(10s\)/.test(w)));
    assert.ok(beta.warnings.some((w) => /user\.creds is readable by group or others/.test(w)));
    assert.deepEqual(
      report.warnings.map((w) => w.account),
      ["beta", "beta", "beta"],
    );
  });

  test("a webhook address outside the network policy is a warning naming address and setting", async () => {
    const root = accountsRoot();
    await addAccount(root, "acme");
    // An empty variable counts as unset: the default policy, which refuses loopback.
    const run = check(["--json"], {
      STREAMHOOK_ACCOUNTS_DIR: root,
      STREAMHOOK_WEBHOOK_ALLOWED_NETWORKS: "",
    });
    assert.equal(await finished(run), 0, run.stderr() + run.stdout());
    const report = JSON.parse(run.stdout()) as CheckJson;
    assert.deepEqual(report.accounts[0]?.warnings, [
      "webhook.url: address 127.0.0.1 (loopback) is outside the network policy: add it to webhook.allowed_networks to allow it; every delivery would be refused as host_not_allowed",
    ]);
  });

  test("the warnings follow the configuration they compare against", async () => {
    const root = accountsRoot();
    await addAccount(root, "beta");
    const run = check(["--json"], {
      STREAMHOOK_ACCOUNTS_DIR: root,
      STREAMHOOK_DELIVERY_MAX_ATTEMPTS: "2",
      STREAMHOOK_WEBHOOK_TIMEOUT: "2s",
    });
    assert.equal(await finished(run), 0, run.stderr() + run.stdout());
    const report = JSON.parse(run.stdout()) as CheckJson;
    assert.deepEqual(report.accounts[0]?.warnings, []);
  });

  test("a missing consumer, an invalid meta.yaml and refused credentials: exit 1, the rest still checked", async () => {
    const root = accountsRoot();
    await addAccount(root, "acme");
    await addAccount(root, "gamma");
    await addAccount(root, "delta", { expired: true });
    await addAccount(root, "broken", { meta: "stream: EVENTS\n", creds: false });
    const run = check([], { STREAMHOOK_ACCOUNTS_DIR: root });
    assert.equal(await finished(run), 1, run.stderr() + run.stdout());
    const out = run.stdout();
    assert.match(out, /^acme\s.*\sok\s/m);
    assert.match(out, /^gamma\s.*\sunusable\s+consumer "webhook" not found on stream "EVENTS"$/m);
    assert.match(out, /^broken\s+-\s+-\s+-\s+unusable\s+.*broken\/meta\.yaml.*consumer/m);
    assert.match(out, /^delta\s.*\sunusable\s+.*(authorization|expired)/im);
    assert.match(out, /1 of 4 accounts usable/);
  });

  test("an unreadable creds file is unusable with its path", async () => {
    const missing = join(dir.path, "nowhere", "user.creds");
    const run = check(["--json"], {
      STREAMHOOK_STREAM: "EVENTS",
      STREAMHOOK_CONSUMER: "webhook",
      STREAMHOOK_CREDENTIALS_FILE: missing,
    });
    assert.equal(await finished(run), 1, run.stderr() + run.stdout());
    const report = JSON.parse(run.stdout()) as CheckJson;
    assert.equal(report.ok, false);
    assert.equal(report.accounts[0]?.name, "default");
    assert.equal(report.accounts[0].source, "env");
    assert.equal(report.accounts[0].reason, `${missing}: cannot read creds file: ENOENT`);
  });

  test("a refused connection fails at once, not after a reconnect loop", async () => {
    const started = Date.now();
    const run = check([], {
      STREAMHOOK_NATS_SERVERS: `nats://127.0.0.1:${await freePort()}`,
      STREAMHOOK_STREAM: "EVENTS",
      STREAMHOOK_CONSUMER: "webhook",
      STREAMHOOK_CREDENTIALS_FILE: fixtures[0]?.credsFile ?? "",
    });
    assert.equal(await finished(run), 1, run.stderr() + run.stdout());
    assert.match(run.stdout(), /^default\s.*\sunusable\s+.*refused/m);
    assert.ok(Date.now() - started < 10_000, `took ${Date.now() - started} ms`);
  });

  test("a server that accepts but never answers times out within seconds", async () => {
    // A TCP listener that never sends INFO: what a wedged server or a wrong port looks like.
    const sockets = new Set<Socket>();
    const silent: Server = createServer((socket) => {
      sockets.add(socket);
    });
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const address = silent.address();
    const port = typeof address === "object" && address !== null ? address.port : 0;
    try {
      const started = Date.now();
      const run = check([], {
        STREAMHOOK_NATS_SERVERS: `nats://127.0.0.1:${port}`,
        STREAMHOOK_STREAM: "EVENTS",
        STREAMHOOK_CONSUMER: "webhook",
      });
      assert.equal(await finished(run), 1, run.stderr() + run.stdout());
      assert.match(
        run.stdout(),
        /^default\s.*\sunusable\s+cannot connect: no answer from the server within 3s$/m,
      );
      assert.ok(Date.now() - started < 15_000, `took ${Date.now() - started} ms`);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => {
        silent.close(() => {
          resolve();
        });
      });
    }
  });

  test("an empty accounts directory is usable, with a warning", async () => {
    const run = check([], { STREAMHOOK_ACCOUNTS_DIR: accountsRoot() });
    assert.equal(await finished(run), 0, run.stderr() + run.stdout());
    assert.match(run.stdout(), /0 of 0 accounts usable/);
    assert.match(run.stdout(), /Warnings:\n\s+no accounts/);
  });

  test("an invalid configuration exits 2 and names the key", async () => {
    const run = check([], {
      STREAMHOOK_ACCOUNTS_DIR: accountsRoot(),
      STREAMHOOK_WEBHOOK_TIMEOUT: "soon",
    });
    assert.equal(await finished(run), 2, run.stderr() + run.stdout());
    assert.match(run.stderr(), /webhook\.timeout \(env STREAMHOOK_WEBHOOK_TIMEOUT\)/);
    assert.equal(run.stdout(), "");
  });
});
