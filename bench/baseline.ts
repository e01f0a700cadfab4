// The baseline: the plainest correct pipeline, as its own process. Pull-consume every account,
// POST the message data as it is through one undici Pool with the same concurrency, ack after a
// 2xx, nak otherwise. No stamping, no signing, no metrics, no logs.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { jetstream, type ConsumerMessages, type JsMsg } from "@nats-io/jetstream";
import { connect, credsAuthenticator, type NatsConnection } from "@nats-io/transport-node";
import pLimit from "p-limit";
import { Pool } from "undici";
import { CONCURRENCY, PULL_BATCH, STREAM } from "./settings.js";

const env = (key: string): string => {
  const value = process.env[key];
  if (value === undefined) throw new Error(`${key} is not set`);
  return value;
};

const natsUrl = env("BENCH_NATS_URL");
const accountsDir = env("BENCH_ACCOUNTS_DIR");
const consumerName = env("BENCH_CONSUMER");
const webhook = new URL(env("BENCH_WEBHOOK_URL"));

const pool = new Pool(webhook.origin, {
  connections: CONCURRENCY,
  pipelining: 1,
  keepAliveTimeout: 30_000,
});
const headers = { "content-type": "application/json" };

// A counting semaphore over all accounts: a slot is handed straight to the next waiter.
let inflight = 0;
const waiters: (() => void)[] = [];
function acquire(): Promise<void> | undefined {
  if (inflight < CONCURRENCY) {
    inflight++;
    return undefined;
  }
  return new Promise((resolve) => waiters.push(resolve));
}
function release(): void {
  const next = waiters.shift();
  if (next !== undefined) next();
  else inflight--;
}

async function deliver(msg: JsMsg): Promise<void> {
  try {
    const response = await pool.request({
      path: webhook.pathname,
      method: "POST",
      headers,
      body: msg.data,
    });
    await response.body.dump();
    if (response.statusCode >= 200 && response.statusCode < 300) msg.ack();
    else msg.nak();
  } catch {
    msg.nak();
  } finally {
    release();
  }
}

async function drain(messages: ConsumerMessages): Promise<void> {
  for await (const msg of messages) {
    const waiting = acquire();
    if (waiting !== undefined) await waiting;
    void deliver(msg);
  }
}

const connections: NatsConnection[] = [];
const loops: Promise<void>[] = [];
const consumers: ConsumerMessages[] = [];
const names = readdirSync(accountsDir).filter((name) => !name.startsWith("."));
// A few handshakes at a time, as streamhook does, so none times out.
const limit = pLimit(16);
await Promise.all(
  names.map((name) =>
    limit(async () => {
      const creds = readFileSync(join(accountsDir, name, "user.creds"));
      const nc = await connect({ servers: natsUrl, authenticator: credsAuthenticator(creds) });
      connections.push(nc);
      const consumer = await jetstream(nc).consumers.get(STREAM, consumerName);
      const messages = await consumer.consume({ max_messages: PULL_BATCH });
      consumers.push(messages);
      loops.push(drain(messages));
    }),
  ),
);
process.stdout.write(`${JSON.stringify({ ready: true, accounts: names.length })}\n`);

process.once("SIGTERM", () => {
  void (async () => {
    for (const messages of consumers) messages.stop();
    await Promise.allSettled(loops);
    await Promise.allSettled(connections.map((nc) => nc.drain()));
    await pool.close();
    process.exit(0);
  })();
});
