import assert from "node:assert/strict";
import { mkdirSync, rmSync, writeFileSync, renameSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { connect, credsAuthenticator } from "@nats-io/transport-node";
import { jetstream } from "@nats-io/jetstream";
import { pino } from "pino";
import { loadConfig } from "../../src/config/index.js";
import { startDaemon, type Daemon } from "../../src/daemon.js";
import {
  provision,
  startNatsServer,
  type NatsServerHandle,
} from "../../src/testing/nats-server.js";
import { startReceiver, type Receiver } from "../../src/testing/receiver.js";
import { LOOPBACK, tempDir } from "../helpers/fixtures.js";
import { waitUntil } from "../helpers/wait.js";

const TENANTS = ["alpha", "beta", "gamma", "delta"];

describe("accounts directory", () => {
  let server: NatsServerHandle;
  let receiver: Receiver;
  let daemon: Daemon;
  const dir = tempDir();
  const root = join(dir.path, "accounts");

  /** Publishes as a fresh user of `account`, so the test never depends on the daemon's creds. */
  async function publish(account: string, subject: string, data: unknown): Promise<void> {
    const creds = await server.userCreds(account);
    const nc = await connect({
      servers: server.url,
      authenticator: credsAuthenticator(new TextEncoder().encode(creds)),
    });
    try {
      await jetstream(nc).publish(subject, JSON.stringify(data));
    } finally {
      await nc.close();
    }
  }

  async function provisionAccount(account: string): Promise<void> {
    await provision(
      { url: server.url, creds: await server.userCreds(account) },
      { stream: "EVENTS", subjects: ["events.>"], consumer: "webhook" },
    );
  }

  /** Writes an account directory the way an operator would: creds first, meta.yaml last. */
  async function addAccount(name: string, tenant = `tenant-${name}`): Promise<void> {
    const accountDir = join(root, name);
    mkdirSync(accountDir, { recursive: true });
    await server.writeCreds(name, join(accountDir, "user.creds"));
    writeFileSync(
      join(accountDir, "meta.yaml"),
      `stream: EVENTS\nconsumer: webhook\ntenant_id: ${tenant}\n`,
    );
  }

  const status = (name: string) => daemon.supervisor.accounts().find((a) => a.name === name);
  const delivered = (tenant: string) =>
    receiver.requests.filter((r) => r.headers["streamhook-tenant"] === tenant);

  before(async () => {
    server = await startNatsServer({ accounts: TENANTS });
    receiver = await startReceiver();
    for (const name of ["alpha", "beta"]) await provisionAccount(name);
    await addAccount("alpha");
    await addAccount("beta");
    const config = loadConfig({
      env: {
        STREAMHOOK_NATS_SERVERS: server.url,
        STREAMHOOK_ACCOUNTS_DIR: root,
        STREAMHOOK_ACCOUNTS_RESCAN_INTERVAL: "30s",
        STREAMHOOK_WEBHOOK_URL: receiver.url,
        STREAMHOOK_DELIVERY_BACKOFF: "200ms",
        STREAMHOOK_HTTP_LISTEN: "off",
        STREAMHOOK_WEBHOOK_ALLOWED_NETWORKS: LOOPBACK,
      },
    });
    daemon = startDaemon({ config, logger: pino({ level: "silent" }) });
    await waitUntil(
      () => status("alpha")?.state === "running" && status("beta")?.state === "running",
      {
        message: "alpha and beta running",
      },
    );
  });

  after(async () => {
    await daemon.stop();
    await receiver.close();
    await server.stop();
    dir.remove();
  });

  test("each account's events carry its own tenant, whatever the payload claims", async () => {
    await publish("alpha", "events.a", { from: "alpha", tenant_id: "tenant-beta" });
    await publish("beta", "events.b", { from: "beta", tenant_id: "tenant-alpha" });
    await receiver.waitFor(
      () => delivered("tenant-alpha").length >= 1 && delivered("tenant-beta").length >= 1,
    );
    for (const [tenant, from] of [
      ["tenant-alpha", "alpha"],
      ["tenant-beta", "beta"],
    ] as const) {
      const bodies = delivered(tenant).map(
        (r) => JSON.parse(r.text) as { from: string; tenant_id: string },
      );
      assert.ok(
        bodies.every((b) => b.tenant_id === tenant && b.from === from),
        JSON.stringify(bodies),
      );
      assert.ok(delivered(tenant).every((r) => r.headers["streamhook-account"] === from));
    }
  });

  test("an account added after start is consumed within seconds, and stops when removed", async () => {
    await provisionAccount("gamma");
    const added = Date.now();
    await addAccount("gamma");
    await waitUntil(() => status("gamma")?.state === "running", {
      timeoutMs: 5_000,
      message: "gamma running",
    });
    assert.ok(Date.now() - added < 2_000, `gamma took ${Date.now() - added} ms`);
    await publish("gamma", "events.g", { n: 1 });
    await receiver.waitFor(() => delivered("tenant-gamma").length >= 1);

    rmSync(join(root, "gamma"), { recursive: true, force: true });
    await waitUntil(() => status("gamma") === undefined, {
      timeoutMs: 5_000,
      message: "gamma removed",
    });
    await publish("gamma", "events.g", { n: 2 });
    await publish("alpha", "events.a", { after: "gamma removed" });
    await receiver.waitFor(() =>
      delivered("tenant-alpha").some((r) => r.text.includes("gamma removed")),
    );
    assert.equal(delivered("tenant-gamma").length, 1, "nothing delivered for a removed account");
  });

  test("a broken meta.yaml beside working accounts breaks nothing, and a fixed one starts", async () => {
    const broken = join(root, "delta");
    mkdirSync(broken, { recursive: true });
    await server.writeCreds("delta", join(broken, "user.creds"));
    writeFileSync(join(broken, "meta.yaml"), "stream: EVENTS\nconsumer: [unclosed\n");
    await waitUntil(() => status("delta")?.state === "invalid", {
      timeoutMs: 5_000,
      message: "delta invalid",
    });
    assert.match(status("delta")?.reason ?? "", /meta\.yaml/);
    await publish("beta", "events.b", { beside: "broken" });
    await receiver.waitFor(() => delivered("tenant-beta").some((r) => r.text.includes("broken")));

    // The stream does not exist yet: the account waits, then starts once it is provisioned.
    writeFileSync(
      join(broken, "meta.yaml.tmp"),
      "stream: EVENTS\nconsumer: webhook\ntenant_id: tenant-delta\n",
    );
    renameSync(join(broken, "meta.yaml.tmp"), join(broken, "meta.yaml"));
    await waitUntil(() => status("delta")?.state === "waiting", {
      timeoutMs: 5_000,
      message: "delta waiting",
    });
    assert.match(status("delta")?.reason ?? "", /stream "EVENTS" not found/);
    await provisionAccount("delta");
    await waitUntil(() => status("delta")?.state === "running", {
      timeoutMs: 15_000,
      message: "delta running",
    });
    await publish("delta", "events.d", { n: 1 });
    await receiver.waitFor(() => delivered("tenant-delta").length >= 1);
  });

  test("a running account whose meta.yaml turns invalid keeps its last valid configuration", async () => {
    writeFileSync(
      join(root, "beta", "meta.yaml"),
      "stream: EVENTS\nconsumer: webhook\nbogus_key: 1\n",
    );
    await waitUntil(() => status("beta")?.configError !== undefined, {
      timeoutMs: 5_000,
      message: "config error",
    });
    assert.equal(status("beta")?.state, "running");
    assert.match(status("beta")?.configError ?? "", /bogus_key/);
    await publish("beta", "events.b", { still: "running" });
    await receiver.waitFor(() => delivered("tenant-beta").some((r) => r.text.includes("still")));
    await addAccount("beta");
    await waitUntil(() => status("beta")?.configError === undefined, {
      timeoutMs: 5_000,
      message: "fixed",
    });
  });

  test("a rotated creds file restarts the account and it keeps delivering", async () => {
    const before = status("alpha")?.since ?? 0;
    const creds = join(root, "alpha", "user.creds");
    await server.writeCreds("alpha", `${creds}.new`);
    renameSync(`${creds}.new`, creds);
    await waitUntil(
      () => status("alpha")?.state === "running" && (status("alpha")?.since ?? 0) > before,
      {
        timeoutMs: 5_000,
        message: "alpha restarted",
      },
    );
    await publish("alpha", "events.a", { rotated: true });
    await receiver.waitFor(() => delivered("tenant-alpha").some((r) => r.text.includes("rotated")));
  });
});
