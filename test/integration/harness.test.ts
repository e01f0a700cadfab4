// The test harness itself: a real nats-server in operator mode, generated credentials,
// provisioning, and the webhook receiver.
import assert from "node:assert/strict";
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { encodeAccount, encodeOperator, encodeUser, fmtCreds } from "@nats-io/jwt";
import { createAccount, createOperator, createUser } from "@nats-io/nkeys";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect, credsAuthenticator, type NatsConnection } from "@nats-io/transport-node";
import {
  NatsServerNotFoundError,
  findNatsServer,
  provision,
  startNatsServer,
  type NatsServerHandle,
} from "../../src/testing/nats-server.js";
import { startReceiver, type Receiver } from "../../src/testing/receiver.js";
import { waitUntil } from "../helpers/wait.js";
import { NO_LOCAL_BINARY } from "../helpers/fixtures.js";

const encoder = new TextEncoder();

function connectWith(url: string, creds: string): Promise<NatsConnection> {
  return connect({
    servers: url,
    authenticator: credsAuthenticator(encoder.encode(creds)),
    reconnect: false,
  });
}

/** A well-formed creds file from an operator the server has never heard of. */
async function strangerCreds(): Promise<string> {
  const operator = createOperator();
  const account = createAccount();
  await encodeOperator("stranger", operator);
  await encodeAccount("stranger", account, {}, { signer: operator });
  const user = createUser();
  const jwt = await encodeUser("stranger", user, account);
  return new TextDecoder().decode(fmtCreds(jwt, user));
}

describe("nats-server harness, operator mode", () => {
  let server: NatsServerHandle;
  const connections: NatsConnection[] = [];

  async function connectAs(account: string): Promise<NatsConnection> {
    const nc = await connectWith(server.url, await server.createUserCreds(account));
    connections.push(nc);
    return nc;
  }

  before(async () => {
    server = await startNatsServer({ accounts: ["tenant-a", "tenant-b"] });
  });

  after(async () => {
    for (const nc of connections) if (!nc.isClosed()) await nc.close();
    await server.stop();
  });

  test("generates an operator, a system account and one account per tenant", () => {
    assert.match(server.url, /^nats:\/\/127\.0\.0\.1:\d+$/);
    assert.deepEqual([...server.accounts.keys()].sort(), ["SYS", "tenant-a", "tenant-b"]);
    const a = server.accounts.get("tenant-a");
    assert.ok(a);
    assert.match(a.publicKey, /^A[A-Z2-7]{55}$/);
    assert.match(a.seed, /^SA/);
    assert.equal(a.jwt.split(".").length, 3);
    assert.match(server.operator?.publicKey ?? "", /^O/);
  });

  test("a generated creds file connects, provisions, publishes with JetStream and reads back", async () => {
    const nc = await connectAs("tenant-a");
    const { stream, consumer } = await provision(nc, {
      stream: "ORDERS",
      subjects: ["orders.>"],
      consumer: "hook",
      ackWaitMs: 5_000,
      maxDeliver: 5,
    });
    assert.equal(stream.config.name, "ORDERS");
    assert.equal(consumer.config.durable_name, "hook");
    assert.equal(consumer.config.ack_policy, "explicit");
    assert.equal(consumer.config.max_deliver, 5);

    const js = jetstream(nc);
    const ack = await js.publish("orders.created", JSON.stringify({ id: 1 }));
    assert.equal(ack.stream, "ORDERS");

    const pull = await js.consumers.get("ORDERS", "hook");
    const msg = await pull.next({ expires: 5_000 });
    assert.ok(msg, "the published message is delivered to the durable consumer");
    assert.deepEqual(msg.json(), { id: 1 });
    assert.equal(msg.subject, "orders.created");
    await msg.ackAck();
    const info = await pull.info();
    assert.equal(info.num_ack_pending, 0);
    assert.equal(info.num_pending, 0);
  });

  test("provisioning again with the same settings is accepted (url + creds form)", async () => {
    const creds = await server.createUserCreds("tenant-a");
    const again = await provision(
      { url: server.url, creds },
      {
        stream: "ORDERS",
        subjects: ["orders.>"],
        consumer: "hook",
        ackWaitMs: 5_000,
        maxDeliver: 5,
      },
    );
    assert.equal(again.stream.state.messages, 1);
  });

  test("another account cannot see or feed tenant-a's stream", async () => {
    const b = await connectAs("tenant-b");
    const jsmB = await jetstreamManager(b);
    await assert.rejects(jsmB.streams.info("ORDERS"), /stream not found/i);
    const names: string[] = [];
    for await (const name of jsmB.streams.names()) names.push(name);
    assert.deepEqual(names, []);

    b.publish("orders.created", JSON.stringify({ id: "from-b" }));
    await b.flush();
    const jsmA = await jetstreamManager(await connectAs("tenant-a"));
    assert.equal((await jsmA.streams.info("ORDERS")).state.messages, 1);
  });

  test("creds from an unknown operator are refused with an authorization violation", async () => {
    await assert.rejects(
      connectWith(server.url, await strangerCreds()),
      /authorization violation/i,
    );
  });

  test("writeCreds writes a 0600 creds file that connects", async (t) => {
    const path = join(server.dir, "tenant-b.creds");
    await server.writeCreds("tenant-b", path);
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    const text = await readFile(path, "utf8");
    assert.match(text, /-----BEGIN NATS USER JWT-----/);
    const nc = await connectWith(server.url, text);
    t.after(() => nc.close());
    assert.equal(nc.isClosed(), false);
  });

  test("an expired user is refused", async () => {
    const creds = await server.createUserCreds("tenant-a", {
      expires: Math.floor(Date.now() / 1000) - 60,
    });
    await assert.rejects(connectWith(server.url, creds), /authorization violation|expired/i);
  });

  test("updateAccount pushes a new account JWT: a revoked user is refused", async () => {
    const user = await server.createUser("tenant-b", { name: "soon-revoked" });
    const nc = await connectWith(server.url, user.creds);
    await nc.close();
    await server.revokeUser("tenant-b", user.publicKey);
    await assert.rejects(connectWith(server.url, user.creds), /authorization violation/i);
    const fresh = await connectAs("tenant-b");
    assert.equal(fresh.isClosed(), false, "other users of the account still connect");
  });
});

describe("nats-server harness, no auth", () => {
  let server: NatsServerHandle;

  before(async () => {
    server = await startNatsServer();
  });

  after(async () => {
    await server.stop();
  });

  test("restart keeps the port and the JetStream store; kill then restart too", async () => {
    await provision({ url: server.url }, { stream: "KEEP", subjects: ["keep.>"], consumer: "c" });
    const nc = await connect({ servers: server.url, reconnect: false });
    await jetstream(nc).publish("keep.one", "1");
    await nc.close();
    const port = server.port;
    const firstPid = server.pid;

    await server.restart();
    assert.equal(server.port, port);
    // A container has no pid of ours; a process must be a new one.
    if (NO_LOCAL_BINARY === false) assert.notEqual(server.pid, firstPid);
    await server.kill();
    await server.restart();

    const again = await connect({ servers: server.url, reconnect: false });
    try {
      const info = await (await jetstreamManager(again)).streams.info("KEEP");
      assert.equal(info.state.messages, 1);
    } finally {
      await again.close();
    }
  });

  test("asking for credentials without operator mode is an error", async () => {
    assert.equal(server.accounts.size, 0);
    await assert.rejects(server.createUserCreds("anyone"), /operator mode/);
  });
});

test("with signingKeys, users are issued by the account's signing key and connect", async (t) => {
  const server = await startNatsServer({
    accounts: ["signed"],
    signingKeys: true,
    jetstream: false,
  });
  t.after(() => server.stop());
  const account = server.accounts.get("signed");
  assert.match(account?.signingKey?.publicKey ?? "", /^A/);
  assert.notEqual(account?.signingKey?.publicKey, account?.publicKey);
  const nc = await connectWith(server.url, await server.createUserCreds("signed"));
  t.after(() => nc.close());
  assert.equal(nc.isClosed(), false);
});

test(
  "findNatsServer honours NATS_SERVER_BIN and names the problem when it is wrong",
  { skip: NO_LOCAL_BINARY },
  () => {
    assert.match(findNatsServer(), /nats-server$/);
    assert.throws(
      () => findNatsServer({ NATS_SERVER_BIN: "/nonexistent/nats-server" }),
      (error: unknown) =>
        error instanceof NatsServerNotFoundError && /apt-get install/.test(error.message),
    );
  },
);

test("a server that cannot start fails fast with its own output", async () => {
  const started = Date.now();
  await assert.rejects(
    startNatsServer({ extraConfig: "this is { not valid" }),
    (error: unknown) => {
      assert.ok(error instanceof Error);
      assert.match(error.message, /exited during start-up/);
      assert.match(error.message, /nats-server output/);
      return true;
    },
  );
  assert.ok(Date.now() - started < 5_000, "no waiting for the start-up timeout");
});

describe("webhook receiver", () => {
  let receiver: Receiver;

  before(async () => {
    receiver = await startReceiver();
  });

  after(async () => {
    await receiver.close();
  });

  test("records a POST and answers as scripted: 503 first, then the default 200", async () => {
    receiver.script((_request, index) =>
      index === 0 ? { status: 503, headers: { "retry-after": "1" }, body: "busy" } : undefined,
    );
    const post = (): Promise<Response> =>
      fetch(receiver.url, {
        method: "POST",
        headers: { "Content-Type": "application/json", "Webhook-Id": "msg_1" },
        body: JSON.stringify({ hello: "world" }),
      });

    const first = await post();
    assert.equal(first.status, 503);
    assert.equal(first.headers.get("retry-after"), "1");
    assert.equal(await first.text(), "busy");
    const second = await post();
    assert.equal(second.status, 200);
    await second.body?.cancel();

    const recorded = await receiver.waitFor((rs) => rs.length >= 2, { timeoutMs: 2_000 });
    const [r] = recorded;
    assert.ok(r);
    assert.equal(r.method, "POST");
    assert.equal(r.url, "/hook");
    assert.equal(r.headers["content-type"], "application/json");
    assert.equal(r.headers["webhook-id"], "msg_1");
    assert.deepEqual(JSON.parse(r.text), { hello: "world" });
    assert.ok(Buffer.isBuffer(r.body));
    assert.ok(r.receivedAt <= Date.now());
  });

  test("waitFor resolves on the request itself and a delayed answer is delayed", async () => {
    receiver.clear();
    receiver.script(() => ({ status: 202, delayMs: 150 }));
    const waiting = receiver.waitFor((rs) => rs.some((r) => r.headers["x-marker"] === "late"), {
      timeoutMs: 5_000,
    });
    const sent = Date.now();
    const response = await fetch(receiver.url, {
      method: "POST",
      headers: { "x-marker": "late" },
      body: "x",
    });
    assert.equal(response.status, 202);
    assert.ok(Date.now() - sent >= 140, "the scripted delay was applied");
    await waiting;
    await assert.rejects(
      receiver.waitFor(() => false, { timeoutMs: 50, message: "never" }),
      /never/,
    );
  });

  test("close() ends keep-alive connections instead of waiting for them", async () => {
    const other = await startReceiver({ path: "/other" });
    const response = await fetch(other.url, { method: "POST", body: "{}" });
    await response.text();
    await waitUntil(() => other.requests.length === 1, { message: "one request" });
    const started = Date.now();
    await other.close();
    assert.ok(Date.now() - started < 1_000);
  });
});
