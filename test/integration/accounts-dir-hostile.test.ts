import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
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

/**
 * SPEC section 11: an account directory written by something less trusted than the operator
 * (a sidecar copying tenant Secrets) cannot read the daemon's environment, borrow another
 * tenant's credentials, widen the network settings or block the daemon with special files.
 */
describe("accounts directory: hostile or broken account directories", () => {
  const dir = tempDir();
  const root = join(dir.path, "accounts");
  let server: NatsServerHandle;
  let receiver: Receiver;
  let daemon: Daemon;

  const write = (name: string, meta: string): string => {
    const accountDir = join(root, name);
    mkdirSync(accountDir, { recursive: true });
    writeFileSync(join(accountDir, "meta.yaml"), meta);
    return accountDir;
  };

  before(async () => {
    server = await startNatsServer({ accounts: ["globex", "mallory"] });
    receiver = await startReceiver();
    await provision(
      { url: server.url, creds: await server.userCreds("globex") },
      { stream: "EVENTS", subjects: ["events.>"], consumer: "webhook" },
    );
    const globex = join(root, "globex");
    mkdirSync(globex, { recursive: true });
    await server.writeCreds("globex", join(globex, "user.creds"));
    write("globex", "stream: EVENTS\nconsumer: webhook\ntenant_id: globex\n");

    // Each of these tries one thing; each must end up invalid on its own.
    write(
      "borrower",
      "stream: EVENTS\nconsumer: webhook\ntenant_id: mallory\ncredentials_file: ../globex/user.creds\n",
    );
    const linker = write("linker", "stream: EVENTS\nconsumer: webhook\ntenant_id: mallory\n");
    symlinkSync(join(globex, "user.creds"), join(linker, "user.creds"));
    write(
      "reader",
      "stream: EVENTS\nconsumer: webhook\nwebhook:\n  url: 'https://x.example.com/?k=${STREAMHOOK_WEBHOOK_SECRET}'\n",
    );
    write(
      "widener",
      "stream: EVENTS\nconsumer: webhook\nwebhook:\n  allowed_networks: [0.0.0.0/0]\n",
    );
    const fifo = write("fifo", "stream: EVENTS\nconsumer: webhook\n");
    execFileSync("mkfifo", [join(fifo, "user.creds")]);
    const zero = write("zero", "stream: EVENTS\nconsumer: webhook\n");
    symlinkSync("/dev/zero", join(zero, "user.creds"));
    const fifoMeta = join(root, "fifometa");
    mkdirSync(fifoMeta, { recursive: true });
    execFileSync("mkfifo", [join(fifoMeta, "meta.yaml")]);

    ({ daemon } = runDaemon({
      STREAMHOOK_NATS_SERVERS: server.url,
      STREAMHOOK_ACCOUNTS_DIR: root,
      STREAMHOOK_WEBHOOK_URL: receiver.url,
      STREAMHOOK_WEBHOOK_SECRET: "whsec_c2VjcmV0LXZhbHVlLWZvci10ZXN0cw==",
      STREAMHOOK_HTTP_LISTEN: "127.0.0.1:0",
    }));
  });

  after(async () => {
    await daemon.stop();
    await receiver.close();
    await server.stop();
    dir.remove();
  });

  const status = (name: string) => daemon.supervisor.accounts().find((a) => a.name === name);

  test("each hostile directory is invalid with its reason; the healthy tenant delivers", async () => {
    const expected: Record<string, RegExp> = {
      borrower: /meta\.yaml:4: credentials_file: must be inside the account's directory/,
      linker: /credentials_file: must be inside the account's directory/,
      reader: /meta\.yaml:4: webhook\.url: \$\{STREAMHOOK_WEBHOOK_SECRET\} is not replaced here/,
      widener: /meta\.yaml:4: webhook\.allowed_networks: global only/,
      fifo: /user\.creds.*not a regular file/,
      // A link out of the directory, so refused before it is opened.
      zero: /credentials_file: must be inside the account's directory/,
      fifometa: /meta\.yaml.*not a regular file/,
    };
    await waitUntil(
      () =>
        status("globex")?.state === "running" &&
        Object.keys(expected).every((name) => status(name)?.state === "invalid"),
      {
        timeoutMs: 15_000,
        message: `states: ${JSON.stringify(daemon.supervisor.accounts().map((a) => [a.name, a.state, a.reason]))}`,
      },
    );
    for (const [name, reason] of Object.entries(expected)) {
      const account = status(name);
      assert.match(account?.reason ?? account?.configError ?? "", reason, name);
      assert.doesNotMatch(account?.reason ?? "", /c2VjcmV0/, "no secret in a reason");
    }

    // The event loop was never blocked: the probes answer, and globex's events still flow.
    const address = await daemon.httpAddress();
    assert.ok(address);
    const health = await fetch(`http://127.0.0.1:${address.port}/healthz`);
    assert.equal(health.status, 200);
    const nc = await connect({
      servers: server.url,
      authenticator: credsAuthenticator(new TextEncoder().encode(await server.userCreds("globex"))),
    });
    try {
      await jetstream(nc).publish("events.x", JSON.stringify({ tenant_id: "mallory", n: 1 }));
    } finally {
      await nc.close();
    }
    const [request] = await receiver.waitFor((rs) => rs.length >= 1);
    assert.deepEqual(JSON.parse(request?.text ?? ""), { tenant_id: "globex", n: 1 });
    assert.equal(receiver.requests.length, 1, "nothing was delivered as mallory");
  });
});
