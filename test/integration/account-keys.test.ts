import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Webhook } from "standardwebhooks";
import { startNatsServer, type NatsServerHandle } from "../../src/testing/nats-server.js";
import { startReceiver, type Receiver, type RecordedRequest } from "../../src/testing/receiver.js";
import { runCli } from "../helpers/cli-process.js";
import {
  accountFixture,
  consumerIdle,
  newSecret,
  runDaemon,
  tempDir,
  type AccountFixture,
} from "../helpers/fixtures.js";
import { waitUntil } from "../helpers/wait.js";
import { writeDaemonConfig } from "../helpers/daemon-config.js";

const verifies = (key: string, request: RecordedRequest): boolean => {
  try {
    new Webhook(key).verify(request.text, request.headers);
    return true;
  } catch {
    return false;
  }
};

describe("per-account signing keys", () => {
  const dir = tempDir();
  const secret = newSecret();
  let server: NatsServerHandle;
  let receivers: Record<"acme" | "globex", Receiver>;
  let fixtures: AccountFixture[];
  let configFile: string;

  before(async () => {
    server = await startNatsServer({ accounts: ["acme", "globex"] });
    receivers = { acme: await startReceiver(), globex: await startReceiver() };
    const resources = { stream: "EV", subjects: ["ev.>"], consumer: "hook" };
    fixtures = [
      await accountFixture(server, "acme", dir.path, resources),
      await accountFixture(server, "globex", dir.path, resources),
    ];
    const [acme, globex] = fixtures;
    const account = (name: "acme" | "globex", fixture: AccountFixture | undefined) => ({
      name,
      stream: "EV",
      consumer: "hook",
      tenant_id: name,
      credentials_file: fixture?.credsFile ?? "",
      webhook: { url: receivers[name].url },
    });
    configFile = writeDaemonConfig(dir.path, {
      servers: [server.url],
      webhook: { secret },
      accounts: [account("acme", acme), account("globex", globex)],
    });
  });

  after(async () => {
    for (const fixture of fixtures) await fixture.close();
    await receivers.acme.close();
    await receivers.globex.close();
    await server.stop();
    dir.remove();
  });

  async function printedKey(account: string): Promise<string> {
    const run = runCli(["secret", "--account", account, "--config", configFile]);
    assert.equal(await run.exit, 0, run.stderr());
    assert.match(run.stderr(), /derived from webhook\.secret/);
    return run.stdout().trim();
  }

  test("`secret` prints each account's key; --json names its source", async () => {
    const acme = await printedKey("acme");
    const globex = await printedKey("globex");
    assert.match(acme, /^whsec_[A-Za-z0-9+/]+=*$/);
    assert.notEqual(acme, globex);
    assert.notEqual(acme, secret);

    const json = runCli(["secret", "--account", "acme", "--json", "--config", configFile]);
    assert.equal(await json.exit, 0, json.stderr());
    assert.deepEqual(JSON.parse(json.stdout()), {
      account: "acme",
      source: "derived",
      secret: acme,
      previous_secret: null,
    });

    const unknown = runCli(["secret", "--account", "nobody", "--config", configFile]);
    assert.equal(await unknown.exit, 1);
    assert.match(unknown.stderr(), /no account named "nobody"/);
    assert.equal(unknown.stdout(), "");
    const missing = runCli(["secret", "--config", configFile]);
    assert.equal(await missing.exit, 2);
  });

  test("each receiver verifies its own tenant's events, and no key verifies another's", async () => {
    const keys = { acme: await printedKey("acme"), globex: await printedKey("globex") };
    const [acme, globex] = fixtures;
    assert.ok(acme && globex);
    await acme.js.publish("ev.a", JSON.stringify({ n: 1 }));
    await globex.js.publish("ev.g", JSON.stringify({ n: 2 }));
    const { daemon } = runDaemon({ STREAMHOOK_CONFIG: configFile });
    try {
      const [forAcme] = await receivers.acme.waitFor((rs) => rs.length >= 1);
      const [forGlobex] = await receivers.globex.waitFor((rs) => rs.length >= 1);
      assert.ok(forAcme && forGlobex);
      assert.equal((JSON.parse(forAcme.text) as { tenant_id?: string }).tenant_id, "acme");
      assert.ok(verifies(keys.acme, forAcme), "acme's key verifies acme's event");
      assert.ok(verifies(keys.globex, forGlobex), "globex's key verifies globex's event");
      assert.ok(!verifies(keys.globex, forAcme), "globex's key does not verify acme's event");
      assert.ok(!verifies(keys.acme, forGlobex), "acme's key does not verify globex's event");
      assert.ok(!verifies(secret, forAcme), "the global secret is not what signs");
      await waitUntil(
        async () =>
          (await consumerIdle(acme.jsm, "EV", "hook")) &&
          (await consumerIdle(globex.jsm, "EV", "hook")),
        { message: "both acked" },
      );
    } finally {
      await daemon.stop();
    }
  });
});
