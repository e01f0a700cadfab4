// The physical ceiling of a drain, as its own process: each half of the pipeline alone, with the
// same client libraries and limits as the baseline. `nats`: consume and ack every message of one
// account, no HTTP. `http`: POST as many messages of the same size to the receiver through one
// undici Pool with the same concurrency, no NATS. Prints `{done, count, seconds}` when finished:
// the time from the first message (or response) to the last.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { jetstream } from "@nats-io/jetstream";
import { connect, credsAuthenticator } from "@nats-io/transport-node";
import { Pool } from "undici";
import { drainPayloadOf } from "./payload.js";
import { CONCURRENCY, PULL_BATCH, STREAM } from "./settings.js";

const env = (key: string): string => {
  const value = process.env[key];
  if (value === undefined) throw new Error(`${key} is not set`);
  return value;
};

const total = Number(env("BENCH_CEILING_MESSAGES"));
const report = (first: number, last: number, count: number): void => {
  process.stdout.write(
    `${JSON.stringify({ done: true, count, seconds: (last - first) / 1000 })}\n`,
  );
};

async function natsAlone(): Promise<void> {
  const creds = readFileSync(join(env("BENCH_ACCOUNTS_DIR"), env("BENCH_ACCOUNT"), "user.creds"));
  const nc = await connect({
    servers: env("BENCH_NATS_URL"),
    authenticator: credsAuthenticator(creds),
  });
  const consumer = await jetstream(nc).consumers.get(STREAM, env("BENCH_CONSUMER"));
  const messages = await consumer.consume({ max_messages: PULL_BATCH });
  process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
  let count = 0;
  let first = 0;
  for await (const msg of messages) {
    if (count === 0) first = performance.now();
    msg.ack();
    if (++count === total) break;
  }
  const last = performance.now();
  // Acks leave on the next flush; draining sends them before the connection closes.
  await nc.drain();
  report(first, last, count);
}

async function httpAlone(): Promise<void> {
  const webhook = new URL(env("BENCH_WEBHOOK_URL"));
  const pool = new Pool(webhook.origin, {
    connections: CONCURRENCY,
    pipelining: 1,
    keepAliveTimeout: 30_000,
  });
  const payload = drainPayloadOf(Number(env("BENCH_CEILING_BYTES")), 0);
  const headers = { "content-type": "application/json" };
  process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
  let next = 0;
  let count = 0;
  let first = 0;
  let last = 0;
  async function lane(): Promise<void> {
    while (next < total) {
      const body = payload(next++);
      const response = await pool.request({
        path: webhook.pathname,
        method: "POST",
        headers,
        body,
      });
      await response.body.dump();
      if (count === 0) first = performance.now();
      count++;
      last = performance.now();
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, lane));
  await pool.close();
  report(first, last, count);
}

if (env("BENCH_CEILING_MODE") === "nats") await natsAlone();
else await httpAlone();
