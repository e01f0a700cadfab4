import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { Webhook } from "standardwebhooks";
import { startNatsServer, type NatsServerHandle } from "../../src/testing/nats-server.js";
import { startReceiver, type Receiver } from "../../src/testing/receiver.js";
import {
  accountFixture,
  consumerIdle,
  newSecret,
  runDaemon,
  tempDir,
  type AccountFixture,
} from "../helpers/fixtures.js";
import { waitUntil } from "../helpers/wait.js";

describe("pipeline: one account, JetStream to webhook", () => {
  let server: NatsServerHandle;
  let receiver: Receiver;
  const dir = tempDir();
  const fixtures: AccountFixture[] = [];

  before(async () => {
    server = await startNatsServer({ accounts: ["acme", "globex"] });
    receiver = await startReceiver();
  });

  after(async () => {
    for (const f of fixtures) await f.close();
    await receiver.close();
    await server.stop();
    dir.remove();
  });

  async function setup(
    stream: string,
    extra: { ackWaitMs?: number } = {},
  ): Promise<AccountFixture> {
    const fixture = await accountFixture(server, "acme", dir.path, {
      stream,
      subjects: [`${stream.toLowerCase()}.>`],
      consumer: "hook",
      ...extra,
    });
    fixtures.push(fixture);
    return fixture;
  }

  const forStream = (stream: string) => (r: { headers: Record<string, string> }) =>
    r.headers["streamhook-stream"] === stream;

  test("delivers every message signed and stamped, and acks each so nothing stays pending", async () => {
    const stream = "BULK";
    const acme = await setup(stream);
    const secret = newSecret();
    const count = 500;
    for (let i = 0; i < count; i++) {
      await acme.js.publish(`bulk.created`, JSON.stringify({ i, tenant_id: "globex-spoofed" }));
    }
    const { daemon } = runDaemon({
      STREAMHOOK_NATS_SERVERS: server.url,
      STREAMHOOK_CREDENTIALS_FILE: acme.credsFile,
      STREAMHOOK_STREAM: stream,
      STREAMHOOK_CONSUMER: "hook",
      STREAMHOOK_TENANT_ID: "acme-tenant",
      STREAMHOOK_WEBHOOK_URL: receiver.url,
      STREAMHOOK_WEBHOOK_SECRET: secret,
    });
    try {
      await receiver.waitFor((rs) => rs.filter(forStream(stream)).length >= count, 20_000);
      await waitUntil(() => consumerIdle(acme.jsm, stream, "hook"), { message: "consumer idle" });
      const delivered = receiver.requests.filter(forStream(stream));
      const wh = new Webhook(secret);
      const seen = new Set<number>();
      const ids = new Set<string>();
      for (const r of delivered) {
        const payload = wh.verify(r.text, r.headers) as { i: number; tenant_id: string };
        assert.equal(
          payload.tenant_id,
          "acme-tenant",
          "the account's tenant replaces the spoofed one",
        );
        assert.equal(r.headers["streamhook-tenant"], "acme-tenant");
        assert.equal(r.headers["streamhook-account"], "default");
        assert.equal(r.headers["content-type"], "application/json");
        assert.match(r.headers["user-agent"] ?? "", /^streamhook\//);
        assert.doesNotMatch(r.headers["webhook-id"] ?? ".", /\./);
        seen.add(payload.i);
        ids.add(r.headers["webhook-id"] ?? "");
      }
      assert.equal(seen.size, count, "every message arrived");
      assert.equal(ids.size, count, "each message has its own webhook-id");
    } finally {
      await daemon.stop();
    }
  });

  test("retries after a 503 with the same webhook-id and a higher attempt", async () => {
    const stream = "RETRY";
    const acme = await setup(stream);
    let failed = false;
    receiver.script((r) => {
      if (r.headers["streamhook-stream"] === stream && !failed) {
        failed = true;
        return { status: 503 };
      }
      return undefined;
    });
    await acme.js.publish("retry.x", JSON.stringify({ hello: "again" }));
    const { daemon } = runDaemon({
      STREAMHOOK_NATS_SERVERS: server.url,
      STREAMHOOK_CREDENTIALS_FILE: acme.credsFile,
      STREAMHOOK_STREAM: stream,
      STREAMHOOK_CONSUMER: "hook",
      STREAMHOOK_WEBHOOK_URL: receiver.url,
      STREAMHOOK_DELIVERY_BACKOFF: "300ms",
    });
    try {
      await receiver.waitFor((rs) => rs.filter(forStream(stream)).length >= 2);
      await waitUntil(() => consumerIdle(acme.jsm, stream, "hook"), { message: "consumer idle" });
      const [first, second] = receiver.requests.filter(forStream(stream));
      assert.ok(first && second);
      assert.equal(first.headers["webhook-id"], second.headers["webhook-id"]);
      assert.equal(first.headers["streamhook-attempt"], "1");
      assert.equal(second.headers["streamhook-attempt"], "2");
      assert.ok(second.receivedAt - first.receivedAt >= 200, "the nak carried the backoff delay");
    } finally {
      receiver.script(() => undefined);
      await daemon.stop();
    }
  });

  test("a payload that is not a JSON object is dead-lettered with its reason, never posted", async () => {
    const stream = "BAD";
    const acme = await setup(stream);
    await acme.jsm.streams.add({ name: "DEADLETTERS", subjects: ["dlq.>"] });
    await acme.js.publish("bad.x", "this is not json");
    await acme.js.publish("bad.x", "[1,2,3]");
    await acme.js.publish("bad.x", JSON.stringify({ fine: true }));
    const { daemon, logs } = runDaemon({
      STREAMHOOK_NATS_SERVERS: server.url,
      STREAMHOOK_CREDENTIALS_FILE: acme.credsFile,
      STREAMHOOK_STREAM: stream,
      STREAMHOOK_CONSUMER: "hook",
      STREAMHOOK_WEBHOOK_URL: receiver.url,
      STREAMHOOK_DLQ_SUBJECT: "dlq.{account}.{stream}",
    });
    try {
      await waitUntil(() => consumerIdle(acme.jsm, stream, "hook"), { message: "consumer idle" });
      const delivered = receiver.requests.filter(forStream(stream));
      assert.equal(delivered.length, 1);
      assert.deepEqual(JSON.parse(delivered[0]?.text ?? ""), { fine: true });
      const dlq = await acme.jsm.streams.info("DEADLETTERS");
      assert.equal(dlq.state.messages, 2);
      const stored = await acme.jsm.streams.getMessage("DEADLETTERS", { seq: 1 });
      assert.ok(stored !== null);
      assert.equal(stored.subject, "dlq.default.BAD");
      assert.equal(stored.header.get("streamhook-dlq-reason"), "malformed_payload");
      assert.equal(stored.header.get("streamhook-subject"), "bad.x");
      assert.equal(stored.string(), "this is not json");
      assert.ok(logs.some((l) => l.includes("message dead-lettered")));
    } finally {
      await daemon.stop();
    }
  });

  test("a receiver outside the network policy gets nothing; its messages are dead-lettered with the address", async () => {
    const stream = "POLICY";
    const acme = await setup(stream);
    await acme.jsm.streams.add({ name: "POLICYDLQ", subjects: ["policydlq.>"] });
    await acme.js.publish("policy.x", JSON.stringify({ n: 1 }));
    const port = new URL(receiver.url).port;
    const { daemon } = runDaemon({
      STREAMHOOK_NATS_SERVERS: server.url,
      STREAMHOOK_CREDENTIALS_FILE: acme.credsFile,
      STREAMHOOK_STREAM: stream,
      STREAMHOOK_CONSUMER: "hook",
      // A name, so that the refusal comes after resolving it.
      STREAMHOOK_WEBHOOK_URL: `http://localhost:${port}/hooks`,
      STREAMHOOK_DLQ_SUBJECT: "policydlq.{account}",
      // Empty counts as unset: the default policy.
      STREAMHOOK_WEBHOOK_ALLOWED_NETWORKS: "",
    });
    try {
      await waitUntil(() => consumerIdle(acme.jsm, stream, "hook"), { message: "consumer idle" });
      assert.equal(receiver.requests.filter(forStream(stream)).length, 0);
      const stored = await acme.jsm.streams.getMessage("POLICYDLQ", { seq: 1 });
      assert.ok(stored !== null);
      assert.equal(stored.header.get("streamhook-dlq-reason"), "host_not_allowed");
      assert.match(
        stored.header.get("streamhook-dlq-error"),
        /127\.0\.0\.1 \(loopback\).* of localhost .*webhook\.allowed_networks/,
      );
      assert.equal(stored.header.get("streamhook-dlq-attempts"), "1");
    } finally {
      await daemon.stop();
    }
  });

  test("a wrong, garbled or mismatched creds file leaves the account waiting with a clear reason", async () => {
    const stream = "WRONG";
    await setup(stream);
    const stranger = await startNatsServer({ accounts: ["acme"] });
    const bad = join(dir.path, "stranger.creds");
    writeFileSync(bad, await stranger.userCreds("acme"), { mode: 0o600 });
    await stranger.stop();
    const garbage = join(dir.path, "garbage.creds");
    writeFileSync(garbage, "not a creds file", { mode: 0o600 });
    // This account's own user JWT, signed in with another user's seed.
    const seedOf = (creds: string): string => /\n(SU[A-Z2-7]+)\n/.exec(creds)?.[1] ?? "";
    const own = await server.userCreds("acme", { name: "own" });
    const other = await server.userCreds("acme", { name: "other" });
    const mismatched = join(dir.path, "mismatched.creds");
    writeFileSync(mismatched, own.replace(seedOf(own), seedOf(other)), { mode: 0o600 });
    assert.notEqual(seedOf(own), "");
    for (const [file, reason] of [
      [bad, /authorization/i],
      [garbage, /not a NATS user credentials file/],
      [mismatched, /authorization/i],
    ] as const) {
      const { daemon } = runDaemon({
        STREAMHOOK_NATS_SERVERS: server.url,
        STREAMHOOK_CREDENTIALS_FILE: file,
        STREAMHOOK_STREAM: stream,
        STREAMHOOK_CONSUMER: "hook",
        STREAMHOOK_WEBHOOK_URL: receiver.url,
      });
      try {
        await waitUntil(() => daemon.supervisor.accounts()[0]?.state === "waiting", {
          message: "waiting",
        });
        const status = daemon.supervisor.accounts()[0];
        assert.match(status?.reason ?? "", reason);
        assert.ok(!(status?.reason ?? "").includes("SU"), "no seed in the reason");
      } finally {
        await daemon.stop();
      }
    }
  });
});
