import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { Webhook } from "standardwebhooks";
import { AckPolicy } from "@nats-io/jetstream";
import { startNatsServer, type NatsServerHandle } from "../../src/testing/nats-server.js";
import { startReceiver, type Receiver, type RecordedRequest } from "../../src/testing/receiver.js";
import {
  accountFixture,
  consumerIdle,
  newSecret,
  tempDir,
  type AccountFixture,
} from "../helpers/fixtures.js";
import { runCli } from "../helpers/cli-process.js";
import { waitUntil } from "../helpers/wait.js";

describe("command line", () => {
  test("--version and --help exit 0", async () => {
    const version = runCli(["--version"]);
    assert.equal(await version.exit, 0);
    assert.match(version.stdout(), /^\d+\.\d+\.\d+\n$/);
    const help = runCli(["--help"]);
    assert.equal(await help.exit, 0);
    assert.match(help.stdout(), /streamhook run/);
  });

  test("an invalid configuration exits 2 and names the key and its source", async () => {
    const run = runCli(["run"], {
      STREAMHOOK_STREAM: "S",
      STREAMHOOK_CONSUMER: "C",
      STREAMHOOK_WEBHOOK_URL: "http://127.0.0.1:1/x",
      STREAMHOOK_DELIVERY_MAX_ATTEMPTS: "many",
    });
    assert.equal(await run.exit, 2);
    assert.match(run.stderr(), /delivery\.max_attempts \(env STREAMHOOK_DELIVERY_MAX_ATTEMPTS\)/);
  });

  test("a configured header that would break or retarget requests exits 2, naming the key", async () => {
    for (const headers of [{ host: "evil.example" }, { "x-tenant": "a\r\nx-injected: 1" }]) {
      const run = runCli(["run"], {
        STREAMHOOK_STREAM: "S",
        STREAMHOOK_CONSUMER: "C",
        STREAMHOOK_WEBHOOK_URL: "http://127.0.0.1:1/x",
        STREAMHOOK_WEBHOOK_HEADERS: JSON.stringify(headers),
      });
      assert.equal(await run.exit, 2);
      const key = Object.keys(headers)[0] ?? "";
      assert.match(
        run.stderr(),
        new RegExp(`webhook\\.headers\\.${key} \\(env STREAMHOOK_WEBHOOK_HEADERS\\)`),
      );
      assert.doesNotMatch(run.stderr(), /evil\.example|x-injected/, "the value is never echoed");
    }
  });

  test("an unknown command exits 2", async () => {
    const run = runCli(["frobnicate"]);
    assert.equal(await run.exit, 2);
    assert.match(run.stderr(), /unknown command/);
  });
});

describe("command line: run with one account from the environment", () => {
  let server: NatsServerHandle;
  let receiver: Receiver;
  let acme: AccountFixture;
  const dir = tempDir();

  before(async () => {
    server = await startNatsServer({ accounts: ["acme"] });
    receiver = await startReceiver();
    acme = await accountFixture(server, "acme", dir.path, {
      stream: "ORDERS",
      subjects: ["orders.>"],
      consumer: "webhook",
    });
  });

  after(async () => {
    await acme.close();
    await receiver.close();
    await server.stop();
    dir.remove();
  });

  test("delivers a signed event, logs JSON without secrets, and exits 0 on SIGTERM", async () => {
    const secret = newSecret();
    const run = runCli(["run"], {
      STREAMHOOK_NATS_SERVERS: server.url,
      STREAMHOOK_CREDENTIALS_FILE: acme.credsFile,
      STREAMHOOK_STREAM: "ORDERS",
      STREAMHOOK_CONSUMER: "webhook",
      STREAMHOOK_TENANT_ID: "acme",
      STREAMHOOK_WEBHOOK_URL: receiver.url,
      STREAMHOOK_WEBHOOK_SECRET: secret,
      STREAMHOOK_HTTP_LISTEN: "off",
    });
    try {
      await waitUntil(() => run.stdout().includes('"state":"running"'), {
        timeoutMs: 20_000,
        message: `account running; stderr: ${run.stderr()}`,
      });
      await acme.js.publish("orders.created", JSON.stringify({ order: 42, tenant_id: "nope" }));
      const [request] = await receiver.waitFor((rs) => rs.length >= 1);
      assert.ok(request);
      const event = new Webhook(secret).verify(request.text, request.headers);
      assert.deepEqual(event, { order: 42, tenant_id: "acme" });
      await waitUntil(() => consumerIdle(acme.jsm, "ORDERS", "webhook"), { message: "acked" });
    } finally {
      run.child.kill("SIGTERM");
    }
    assert.equal(await run.exit, 0, run.stderr());
    const lines = run.stdout().trim().split("\n");
    for (const line of lines) JSON.parse(line);
    assert.ok(lines.some((l) => l.includes('"msg":"streamhook stopped"')));
    assert.ok(!run.stdout().includes(secret.slice(6)), "the webhook secret never appears in logs");
    const seed = /SU[A-Z2-7]{40,}/.exec(readFileSync(acme.credsFile, "utf8"))?.[0];
    assert.ok(
      seed !== undefined && !run.stdout().includes(seed),
      "the creds seed never appears in logs",
    );
  });

  test("SIGTERM under load loses nothing: what was not acked is delivered by the next run", async () => {
    await acme.jsm.streams.add({ name: "LOAD", subjects: ["load.>"] });
    await acme.jsm.consumers.add("LOAD", {
      durable_name: "webhook",
      ack_policy: AckPolicy.Explicit,
      // Messages the server sent for a pull that was outstanding at shutdown never reach the
      // client; JetStream redelivers them after ack_wait. A short one keeps the test short.
      ack_wait: 3_000_000_000,
    });
    const total = 2_000;
    await Promise.all(
      Array.from({ length: total }, (_, i) => acme.js.publish("load.x", JSON.stringify({ i }))),
    );
    receiver.script((r) =>
      r.headers["streamhook-stream"] === "LOAD" ? { status: 200, delayMs: 20 } : undefined,
    );
    const env = {
      STREAMHOOK_NATS_SERVERS: server.url,
      STREAMHOOK_CREDENTIALS_FILE: acme.credsFile,
      STREAMHOOK_STREAM: "LOAD",
      STREAMHOOK_CONSUMER: "webhook",
      STREAMHOOK_WEBHOOK_URL: receiver.url,
      STREAMHOOK_HTTP_LISTEN: "off",
    };
    const load = (): RecordedRequest[] =>
      receiver.requests.filter((r) => r.headers["streamhook-stream"] === "LOAD");
    const first = runCli(["run"], env);
    await receiver.waitFor(() => load().length >= 200, { timeoutMs: 20_000 });
    first.child.kill("SIGTERM");
    assert.equal(await first.exit, 0, first.stderr());
    const afterFirst = load().length;
    assert.ok(afterFirst < total, "the first run was stopped in the middle of the backlog");

    const second = runCli(["run"], env);
    try {
      await waitUntil(() => consumerIdle(acme.jsm, "LOAD", "webhook"), {
        timeoutMs: 60_000,
        message: "the second run delivers the rest",
      });
    } finally {
      second.child.kill("SIGTERM");
    }
    assert.equal(await second.exit, 0, second.stderr());
    const ids = new Set(load().map((r) => r.headers["webhook-id"]));
    assert.equal(ids.size, total, "every message arrived");
    receiver.script(() => undefined);
  });
});
