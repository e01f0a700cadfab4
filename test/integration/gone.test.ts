import assert from "node:assert/strict";
import { appendFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { credsAuthenticator, connect } from "@nats-io/transport-node";
import { jetstream } from "@nats-io/jetstream";
import type { Daemon } from "../../src/daemon.js";
import { startNatsServer, type NatsServerHandle } from "../../src/testing/nats-server.js";
import { provision } from "../../src/testing/provision.js";
import { startReceiver, type Receiver } from "../../src/testing/receiver.js";
import { runDaemon, tempDir } from "../helpers/fixtures.js";
import { waitUntil } from "../helpers/wait.js";

/** SPEC section 13: a receiver that answers 410 Gone disables its account's endpoint. */
describe("410 Gone", () => {
  const dir = tempDir();
  const root = join(dir.path, "accounts");
  let server: NatsServerHandle;
  let gone: Receiver;
  let fine: Receiver;
  let daemon: Daemon;

  const addAccount = async (name: string, url: string): Promise<void> => {
    await provision(
      { url: server.url, creds: await server.userCreds(name) },
      { stream: "EVENTS", subjects: ["events.>"], consumer: "webhook" },
    );
    mkdirSync(join(root, name), { recursive: true });
    await server.writeCreds(name, join(root, name, "user.creds"));
    writeFileSync(
      join(root, name, "meta.yaml"),
      `stream: EVENTS\nconsumer: webhook\ntenant_id: ${name}\nwebhook: { url: "${url}" }\n`,
    );
  };

  const publish = async (account: string, count: number): Promise<void> => {
    const creds = await server.userCreds(account);
    const nc = await connect({
      servers: server.url,
      authenticator: credsAuthenticator(new TextEncoder().encode(creds)),
    });
    try {
      const js = jetstream(nc);
      for (let i = 0; i < count; i++) await js.publish("events.x", JSON.stringify({ i }));
    } finally {
      await nc.close();
    }
  };

  const backlog = async (account: string): Promise<number> => {
    const creds = await server.userCreds(account);
    const nc = await connect({
      servers: server.url,
      authenticator: credsAuthenticator(new TextEncoder().encode(creds)),
    });
    try {
      const info = await (await jetstream(nc).consumers.get("EVENTS", "webhook")).info();
      return info.num_pending + info.num_ack_pending;
    } finally {
      await nc.close();
    }
  };

  before(async () => {
    server = await startNatsServer({ accounts: ["acme", "globex"] });
    gone = await startReceiver(() => ({ status: 410 }));
    fine = await startReceiver();
    await addAccount("acme", gone.url);
    await addAccount("globex", fine.url);
    await publish("acme", 5);
    await publish("globex", 5);
    ({ daemon } = runDaemon({
      STREAMHOOK_NATS_SERVERS: server.url,
      STREAMHOOK_ACCOUNTS_DIR: root,
      STREAMHOOK_WEBHOOK_URL: fine.url,
      STREAMHOOK_HTTP_LISTEN: "127.0.0.1:0",
    }));
  });

  after(async () => {
    await daemon.stop();
    await gone.close();
    await fine.close();
    await server.stop();
    dir.remove();
  });

  const status = (name: string) => daemon.supervisor.accounts().find((a) => a.name === name);

  test("disables that account only, keeps its messages, and a configuration change enables it", async () => {
    await waitUntil(() => status("acme")?.state === "disabled", {
      timeoutMs: 10_000,
      message: `acme disabled (${JSON.stringify(status("acme"))})`,
    });
    assert.match(status("acme")?.reason ?? "", /410 Gone/);
    await fine.waitFor((rs) => rs.length >= 5);
    assert.equal(status("globex")?.state, "running");

    // Kept in JetStream, not dead-lettered; the probes ignore a disabled account like a paused one.
    assert.equal(await backlog("acme"), 5);
    const address = await daemon.httpAddress();
    assert.ok(address);
    const ready = await fetch(`http://127.0.0.1:${address.port}/readyz`);
    assert.equal(ready.status, 200, await ready.text());
    const metrics = await (await fetch(`http://127.0.0.1:${address.port}/metrics`)).text();
    assert.match(metrics, /streamhook_account_state\{account="acme",state="disabled"\} 1/);
    const attemptsWhileDisabled = gone.requests.length;

    // The receiver is back; the operator touches the account's configuration.
    gone.script(() => ({ status: 200 }));
    appendFileSync(join(root, "acme", "meta.yaml"), "# receiver back\n");
    await waitUntil(() => status("acme")?.state === "running", {
      timeoutMs: 10_000,
      message: "acme running again",
    });
    await waitUntil(async () => (await backlog("acme")) === 0, {
      timeoutMs: 10_000,
      message: "acme's five delivered",
    });
    const accepted = gone.requests.slice(attemptsWhileDisabled);
    const delivered = new Set(accepted.map((r) => r.headers["webhook-id"]));
    assert.equal(delivered.size, 5, "each of the five, once it was enabled");
  });
});
