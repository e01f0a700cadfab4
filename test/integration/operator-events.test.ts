import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { jetstream } from "@nats-io/jetstream";
import { connect, credsAuthenticator } from "@nats-io/transport-node";
import { Webhook } from "standardwebhooks";
import type { Daemon } from "../../src/daemon.js";
import { startNatsServer, type NatsServerHandle } from "../../src/testing/nats-server.js";
import { provision } from "../../src/testing/provision.js";
import { startReceiver, type RecordedRequest, type Receiver } from "../../src/testing/receiver.js";
import { newSecret, runDaemon, tempDir } from "../helpers/fixtures.js";
import { waitUntil } from "../helpers/wait.js";

interface OperatorEvent {
  readonly type: string;
  readonly timestamp: string;
  readonly account: string;
  readonly tenant_id: string | null;
  readonly data: Record<string, unknown>;
}

/** The event a request carries, once the official verifier accepted its signature. */
function verified(secret: string, request: RecordedRequest): OperatorEvent {
  return new Webhook(secret).verify(request.text, request.headers) as OperatorEvent;
}

const signedWith = (secret: string, request: RecordedRequest): boolean => {
  try {
    verified(secret, request);
    return true;
  } catch {
    return false;
  }
};

/** SPEC section 13: events.url. */
describe("operator events", () => {
  const dir = tempDir();
  const root = join(dir.path, "accounts");
  const eventsSecret = newSecret();
  const webhookSecret = newSecret();
  let server: NatsServerHandle;
  let hooks: Receiver;
  let gone: Receiver;
  let ops: Receiver;
  let daemon: Daemon;
  /** While set, the webhook receiver answers 503. */
  let down = false;

  const credsOf = (account: string): Promise<string> => server.userCreds(account);

  /** An account directory; `stream` false leaves its stream unprovisioned. */
  const addAccount = async (name: string, extra = "", stream = true): Promise<void> => {
    if (stream) {
      await provision(
        { url: server.url, creds: await credsOf(name) },
        { stream: "EVENTS", subjects: ["events.>"], consumer: "webhook" },
      );
    }
    mkdirSync(join(root, name), { recursive: true });
    await server.writeCreds(name, join(root, name, "user.creds"));
    writeFileSync(
      join(root, name, "meta.yaml"),
      `stream: EVENTS\nconsumer: webhook\ntenant_id: tenant-${name}\n${extra}`,
    );
  };

  const publish = async (account: string, payloads: readonly string[]): Promise<void> => {
    const nc = await connect({
      servers: server.url,
      authenticator: credsAuthenticator(new TextEncoder().encode(await credsOf(account))),
    });
    try {
      const js = jetstream(nc);
      for (const payload of payloads) await js.publish("events.x", payload);
    } finally {
      await nc.close();
    }
  };

  const events = (): OperatorEvent[] => ops.requests.map((r) => verified(eventsSecret, r));
  const eventOf = (type: string, account: string): OperatorEvent | undefined =>
    events().find((e) => e.type === type && e.account === account);
  const waitForEvent = async (
    type: string,
    account: string,
    timeoutMs = 15_000,
  ): Promise<OperatorEvent> => {
    await waitUntil(() => eventOf(type, account) !== undefined, {
      timeoutMs,
      message: `${type} of ${account}; events so far: ${JSON.stringify(events().map((e) => [e.type, e.account]))}`,
    });
    const event = eventOf(type, account);
    assert.ok(event);
    return event;
  };

  before(async () => {
    server = await startNatsServer({ accounts: ["acme", "gonner", "lost", "broken"] });
    hooks = await startReceiver((request) => {
      if (down) return { status: 503 };
      return { status: request.text.includes('"reject"') ? 400 : 200 };
    });
    gone = await startReceiver(() => ({ status: 410 }));
    ops = await startReceiver();
    await addAccount("acme");
    await addAccount("gonner", `webhook: { url: "${gone.url}" }\n`);
    await addAccount("lost", "", false);
    await publish("gonner", ['{"i":1}']);
    ({ daemon } = runDaemon({
      STREAMHOOK_NATS_SERVERS: server.url,
      STREAMHOOK_ACCOUNTS_DIR: root,
      STREAMHOOK_WEBHOOK_URL: hooks.url,
      STREAMHOOK_WEBHOOK_SECRET: webhookSecret,
      STREAMHOOK_EVENTS_URL: ops.url,
      STREAMHOOK_EVENTS_SECRET: eventsSecret,
      STREAMHOOK_DELIVERY_BACKOFF: "200ms",
      STREAMHOOK_BREAKER_FAILURE_THRESHOLD: "3",
      STREAMHOOK_BREAKER_COOLDOWN: "1s",
      STREAMHOOK_BREAKER_MAX_COOLDOWN: "2s",
    }));
  });

  after(async () => {
    await daemon.stop();
    for (const receiver of [hooks, gone, ops]) await receiver.close();
    await server.stop();
    dir.remove();
  });

  test("account states: running, waiting with its reason, disabled by a 410, invalid", async () => {
    const running = await waitForEvent("account.running", "acme");
    assert.equal(running.tenant_id, "tenant-acme");
    assert.ok(Math.abs(Date.parse(running.timestamp) - Date.now()) < 60_000, running.timestamp);
    const request = ops.requests[0];
    assert.ok(request);
    assert.match(request.headers["webhook-id"] ?? "", /^evt_[^.]+$/);
    assert.equal(request.headers["content-type"], "application/json");
    assert.ok(!signedWith(webhookSecret, request), "events.secret signs, not webhook.secret");

    const waiting = await waitForEvent("account.waiting", "lost");
    assert.match(String(waiting.data.reason), /stream/i);

    const disabled = await waitForEvent("account.disabled", "gonner");
    assert.match(String(disabled.data.reason), /410 Gone/);
    assert.equal(
      disabled.data.reason,
      daemon.supervisor.accounts().find((a) => a.name === "gonner")?.reason,
    );

    await addAccount("broken");
    writeFileSync(join(root, "broken", "meta.yaml"), "stream: [EVENTS\n");
    const invalid = await waitForEvent("account.invalid", "broken");
    assert.match(String(invalid.data.reason), /meta\.yaml/);
    assert.equal(invalid.data.keeps_last_valid, false);

    // A waiting account retries with backoff; operators hear of it once.
    await waitUntil(
      () =>
        (daemon.supervisor.accounts().find((a) => a.name === "lost")?.since ?? Infinity) >
        Date.parse(waiting.timestamp) + 500,
      { timeoutMs: 15_000, message: "lost retried" },
    );
    const lost = events().filter((e) => e.account === "lost");
    assert.deepEqual(
      lost.map((e) => e.type),
      ["account.waiting"],
    );
  });

  test("dead letters within 10 s are one event, with the counts by reason", async () => {
    await publish("acme", ["not json", "[1]", "42", '{"reject":1}', '{"reject":2}']);
    const event = await waitForEvent("message.dead_lettered", "acme", 30_000);
    assert.deepEqual(event.data, { counts: { malformed_payload: 3, terminal_status: 2 } });
    assert.equal(event.tenant_id, "tenant-acme");
    assert.equal(
      events().filter((e) => e.type === "message.dead_lettered").length,
      1,
      "one event for the five",
    );
  });

  test("a receiver outage: breaker.opened with its origin and cooldown, then breaker.closed", async () => {
    down = true;
    await publish(
      "acme",
      Array.from({ length: 5 }, (_, i) => JSON.stringify({ i })),
    );
    const opened = await waitForEvent("breaker.opened", "acme");
    assert.equal(opened.data.origin, hooks.origin);
    assert.ok(
      typeof opened.data.cooldown_ms === "number" &&
        opened.data.cooldown_ms > 0 &&
        opened.data.cooldown_ms <= 1_000,
      JSON.stringify(opened.data),
    );
    down = false;
    const closed = await waitForEvent("breaker.closed", "acme");
    assert.deepEqual(closed.data, { origin: hooks.origin });
    assert.ok(Date.parse(closed.timestamp) >= Date.parse(opened.timestamp));
  });
});
