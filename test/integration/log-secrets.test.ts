import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { freePort, startNatsServer, type NatsServerHandle } from "../../src/testing/nats-server.js";
import { startReceiver, type Receiver } from "../../src/testing/receiver.js";
import { runCli } from "../helpers/cli-process.js";
import { accountFixture, consumerIdle, newSecret, tempDir } from "../helpers/fixtures.js";
import { waitUntil } from "../helpers/wait.js";

// Every kind of secret the daemon is given, each distinctive enough to be found in any encoding
// a log line might use for it.
const PASSWORD = "pw-s3cret-9f8e7d";
const TOKEN = "tok-s3cret-1a2b3c";
const HEADER_VALUE = "hdr-s3cret-4d5e6f";
const HTTP_TOKEN = "http-s3cret-7g8h9i";

describe("logs and HTTP bodies of a full run hold no secret", () => {
  let server: NatsServerHandle;
  let receiver: Receiver;
  const dir = tempDir();

  before(async () => {
    server = await startNatsServer({ accounts: ["acme"] });
    let failedOnce = false;
    receiver = await startReceiver((request) => {
      if (!failedOnce && request.text.includes("retry")) {
        failedOnce = true;
        return { status: 503 };
      }
      return undefined;
    });
  });

  after(async () => {
    await receiver.close();
    await server.stop();
    dir.remove();
  });

  test("debug logs through deliveries, retries, dead letters, refused logins and shutdown", async () => {
    const accountsDir = join(dir.path, "accounts");
    mkdirSync(join(accountsDir, "acme"), { recursive: true });
    const acme = await accountFixture(server, "acme", dir.path, {
      stream: "EV",
      subjects: ["ev.>"],
      consumer: "hook",
    });
    const credsFile = join(accountsDir, "acme", "user.creds");
    writeFileSync(credsFile, readFileSync(acme.credsFile), { mode: 0o600 });
    writeFileSync(
      join(accountsDir, "acme", "meta.yaml"),
      "stream: EV\nconsumer: hook\ntenant_id: acme\n",
    );
    // Accounts that log in with a password and a token: operator mode refuses both, so their
    // failures are logged, and must not quote what was tried.
    const configFile = join(dir.path, "streamhook.yaml");
    writeFileSync(
      configFile,
      [
        "accounts:",
        '  - { name: pw, stream: EV, consumer: hook, user: streamhook, password: "${PW}" }',
        '  - { name: tok, stream: EV, consumer: hook, token: "${TOK}" }',
        "",
      ].join("\n"),
    );
    const secret = newSecret();
    const previous = newSecret();
    const port = await freePort();
    const run = runCli(["run", "--config", configFile, "--log-level", "debug"], {
      PW: PASSWORD,
      TOK: TOKEN,
      STREAMHOOK_NATS_SERVERS: server.url,
      STREAMHOOK_ACCOUNTS_DIR: accountsDir,
      STREAMHOOK_WEBHOOK_URL: receiver.url,
      STREAMHOOK_WEBHOOK_SECRET: secret,
      STREAMHOOK_WEBHOOK_PREVIOUS_SECRET: previous,
      STREAMHOOK_WEBHOOK_HEADERS: JSON.stringify({ authorization: `Bearer ${HEADER_VALUE}` }),
      STREAMHOOK_DELIVERY_BACKOFF: "100ms",
      STREAMHOOK_HTTP_LISTEN: `127.0.0.1:${port}`,
      STREAMHOOK_HTTP_TOKEN: HTTP_TOKEN,
    });
    const base = `http://127.0.0.1:${port}`;
    const bodies: string[] = [];
    try {
      const exited = run.exit.then((code) => {
        throw new Error(`the daemon exited with ${String(code)}: ${run.stderr()}`);
      });
      await Promise.race([
        exited,
        waitUntil(
          async () => {
            const text = await (await fetch(`${base}/readyz`)).text();
            return (
              text.includes('"name":"acme","state":"running"') &&
              text.includes('"name":"pw","state":"waiting"')
            );
          },
          { timeoutMs: 20_000, message: "acme running, pw refused" },
        ),
      ]);
      await acme.js.publish("ev.a", JSON.stringify({ n: 1 }));
      await acme.js.publish("ev.b", JSON.stringify({ n: "retry" }));
      await acme.js.publish("ev.c", "not json");
      await receiver.waitFor((rs) => rs.filter((r) => r.text.includes("retry")).length === 2, {
        timeoutMs: 15_000,
      });
      await waitUntil(() => consumerIdle(acme.jsm, "EV", "hook"), { message: "all settled" });
      for (const path of ["/healthz", "/readyz", "/accounts", "/metrics"]) {
        const headers = { authorization: `Bearer ${HTTP_TOKEN}` };
        bodies.push(await (await fetch(`${base}${path}`, { headers })).text());
      }
      assert.match(bodies[2] ?? "", /"name":"acme"/, "the token opened /accounts");
      // The receiver did get the configured header: the value exists, only logs must not show it.
      assert.equal(receiver.requests[0]?.headers.authorization, `Bearer ${HEADER_VALUE}`);
    } finally {
      run.child.kill("SIGTERM");
      await acme.close();
    }
    assert.equal(await run.exit, 0, run.stderr());

    const output = run.stdout() + run.stderr();
    // The run said something about every path it took, or the grep below proves little.
    for (const expected of [
      "account running",
      "delivery failed, will retry",
      "dead-lettered",
      "account waiting",
      "streamhook stopped",
    ]) {
      assert.ok(output.includes(expected), `the logs mention "${expected}"`);
    }
    const creds = readFileSync(credsFile, "utf8");
    const jwt = /eyJ[\w-]+\.[\w-]+\.[\w-]+/.exec(creds)?.[0];
    const seed = /SU[A-Z2-7]{40,}/.exec(creds)?.[0];
    assert.ok(jwt !== undefined && seed !== undefined);
    const secrets: Record<string, string> = {
      "webhook secret": secret.slice("whsec_".length),
      "previous secret": previous.slice("whsec_".length),
      "header value": HEADER_VALUE,
      password: PASSWORD,
      token: TOKEN,
      "http token": HTTP_TOKEN,
      "creds JWT": jwt,
      "creds seed": seed,
    };
    for (const [what, value] of Object.entries(secrets)) {
      assert.ok(!output.includes(value), `the ${what} appears in the logs`);
      for (const body of bodies) assert.ok(!body.includes(value), `the ${what} in an HTTP body`);
    }
  });
});
