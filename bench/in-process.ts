// CPU per message of streamhook's own delivery path, in one process, without NATS or HTTP: the
// built fair queue, lane, request (stamping, signing), settlement and ack batching of `dist/`,
// fed messages whose reply subjects look like the server's, against a client whose every
// response is a 200 one event-loop turn later. Far steadier than the drains on a shared machine
// (a few percent between runs rather than a tenth), so a change to that path is measured here
// first; the drains still judge.
//
// Usage (after `npm run build`):
//   node --import tsx bench/in-process.ts [--against DIR] [--rounds N] [--messages N]
//     [--bytes N] [--tenant 0-3] [--unsigned]
// With `--against`, DIR is another checkout, built, whose `dist/` runs alternately with this
// one's (a fresh process per run), and the medians are compared.
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";
import { dirname, resolve } from "node:path";
import { parseArgs } from "node:util";
import type { JsMsg } from "@nats-io/jetstream";
import pino from "pino";
import { drainPayloadOf } from "./payload.js";
import { CONCURRENCY, PULL_BATCH, WEBHOOK_SECRET } from "./settings.js";
import type * as Acks from "../src/delivery/ack-batcher.js";
import type * as Breaker from "../src/delivery/breaker.js";
import type * as Lane from "../src/delivery/lane.js";
import type * as Settlement from "../src/delivery/settlement.js";
import type * as Target from "../src/delivery/target.js";
import type { WebhookClient } from "../src/delivery/webhook-client.js";
import type * as Worker from "../src/delivery/worker.js";
import type * as Queue from "../src/pipeline/fair-queue.js";
import type { InboundMessage } from "../src/pipeline/inbound-message.js";

/** The modules of one build's `dist/`, typed as this checkout's sources. */
interface Dist {
  readonly target: typeof Target;
  readonly lane: typeof Lane;
  readonly settlement: typeof Settlement;
  readonly breaker: typeof Breaker;
  readonly acks: typeof Acks;
  readonly worker: typeof Worker;
  readonly queue: typeof Queue;
}

const HERE = dirname(fileURLToPath(import.meta.url));

const { values } = parseArgs({
  options: {
    against: { type: "string" },
    rounds: { type: "string", default: "8" },
    messages: { type: "string", default: "200000" },
    bytes: { type: "string", default: "450" },
    tenant: { type: "string", default: "1" },
    unsigned: { type: "boolean", default: false },
    // Internal: one measured run of the build at ROOT, printed as one number.
    child: { type: "string" },
  },
});

async function load(root: string): Promise<Dist> {
  const at = (path: string): Promise<unknown> =>
    import(pathToFileURL(resolve(root, "dist", path)).href);
  return {
    target: (await at("delivery/target.js")) as Dist["target"],
    lane: (await at("delivery/lane.js")) as Dist["lane"],
    settlement: (await at("delivery/settlement.js")) as Dist["settlement"],
    breaker: (await at("delivery/breaker.js")) as Dist["breaker"],
    acks: (await at("delivery/ack-batcher.js")) as Dist["acks"],
    worker: (await at("delivery/worker.js")) as Dist["worker"],
    queue: (await at("pipeline/fair-queue.js")) as Dist["queue"],
  };
}

const HASH = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567ABCDEFGHIJKLMNOPQRSTUVWX";

/**
 * The client's own message class, so that a build reading `info` pays for the client's parse as
 * it does in a drain. The package does not export it; its file is read directly.
 */
const { toJsMsg } = createRequire(import.meta.url)(
  resolve(HERE, "../node_modules/@nats-io/jetstream/lib/jsmsg.js"),
) as { toJsMsg: (msg: unknown) => JsMsg };

/** A message as a pull delivers it; acking it counts. */
function fakeMessage(i: number, total: number, data: Uint8Array, acked: () => void): JsMsg {
  const nanos = `${1_765_090_000_000 + i}000000`;
  return toJsMsg({
    subject: `events.s${i % 16}`,
    reply: `$JS.ACK._.${HASH}.EVENTS.webhook.1.${i + 1}.${i + 1}.${nanos}.${total - i}.x8Yt3`,
    data,
    headers: undefined,
    respond: () => {
      acked();
      return true;
    },
  });
}

/** One run: CPU microseconds per message, from admission to the ack leaving the batcher. */
async function measure(root: string): Promise<number> {
  const dist = await load(root);
  const messages = Number(values.messages);
  const payload = drainPayloadOf(Number(values.bytes), Number(values.tenant));
  const datas = Array.from({ length: 1000 }, (_, i) => payload(i));
  const logger = pino({ level: "warn" });
  const target = dist.target.createDeliveryTarget({
    account: {
      name: "acme",
      tenantId: "tenant-acme",
      stream: "EVENTS",
      consumer: "webhook",
      webhook: {
        url: "http://127.0.0.1:9/hook",
        headers: {},
        allowedHosts: [],
        body: "payload",
        tenantField: "tenant_id",
        timeout: 10_000,
        maxConnections: CONCURRENCY,
        secret: values.unsigned ? undefined : WEBHOOK_SECRET,
        previousSecret: undefined,
        rateLimit: 0,
      },
      delivery: {
        maxAttempts: 5,
        backoff: [1000],
        terminalStatuses: [400],
        accountConcurrency: CONCURRENCY,
      },
      maxRetryAfter: 60_000,
      maxMessageBytes: 1 << 20,
      dlqSubject: undefined,
    } as unknown as Parameters<typeof dist.target.createDeliveryTarget>[0]["account"],
    streamCreated: "2026-01-01T00:00:00Z",
    consumerMaxDeliver: -1,
    userAgent: "streamhook/bench",
  });
  const client: WebhookClient = {
    post: () =>
      new Promise((done) =>
        setImmediate(() => {
          done({ kind: "response", status: 200 });
        }),
      ),
    close: () => Promise.resolve(),
    destroy: () => Promise.resolve(),
  };
  const queue = new dist.queue.FairQueue<InboundMessage>({
    capacity: 4 * PULL_BATCH,
    burst: 16,
    keyLimit: PULL_BATCH,
    bytesOf: (item) => item.msg.data.length,
  });
  const acks = dist.acks.createAckBatcher();
  const breaker = dist.breaker.createCircuitBreaker({
    failureThreshold: 5,
    cooldownMs: 1000,
    maxCooldownMs: 1000,
  });
  const settlement = dist.settlement.createSettlement({
    target,
    publishDeadLetter: () => Promise.resolve(),
    termWithReason: true,
    ack: acks.ack,
    logger,
  });
  const lane = dist.lane.createLane({
    target,
    breaker,
    settlement,
    ackWaitMs: 120_000,
    flushAcks: acks.flush,
    wake: () => {
      queue.wake();
    },
    logger,
  });
  const worker = dist.worker.createDeliveryWorker({
    queue,
    client,
    concurrency: CONCURRENCY,
    logger,
  });
  let acked = 0;
  const count = (): void => {
    acked++;
  };
  const intake = new AbortController();
  const running = worker.run(intake.signal, new AbortController().signal);
  const cpu = process.cpuUsage();
  for (let i = 0; i < messages; i++) {
    const data = datas[i % datas.length] ?? new Uint8Array();
    const item = lane.admit(fakeMessage(i, messages, data, count));
    if (!queue.tryPush("acme", item)) await queue.push("acme", item);
  }
  while (acked < messages) await new Promise((resume) => setImmediate(resume));
  const used = process.cpuUsage(cpu);
  intake.abort();
  queue.close();
  await running;
  return (used.user + used.system) / messages;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? 0)
    : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

function runChild(root: string): number {
  const args = process.argv
    .slice(2)
    .filter((arg, i, all) => arg !== "--against" && all[i - 1] !== "--against");
  const child = spawnSync(
    process.execPath,
    ["--import", "tsx", fileURLToPath(import.meta.url), ...args, "--child", root],
    { encoding: "utf8", cwd: resolve(HERE, "..") },
  );
  const value = Number(child.stdout.trim());
  if (child.status !== 0 || !Number.isFinite(value)) {
    throw new Error(`in-process run of ${root} failed: ${child.stderr.slice(-2000)}`);
  }
  return value;
}

if (values.child !== undefined) {
  process.stdout.write(`${(await measure(values.child)).toFixed(3)}\n`);
} else {
  const roots = [
    resolve(HERE, ".."),
    ...(values.against === undefined ? [] : [resolve(values.against)]),
  ];
  const runs = new Map<string, number[]>(roots.map((root) => [root, []]));
  const rounds = Number(values.rounds);
  for (let round = 0; round < rounds; round++) {
    // ABBA, so that a drift of the machine falls on both alike.
    const order = round % 2 === 0 ? roots : [...roots].reverse();
    for (const root of order) runs.get(root)?.push(runChild(root));
  }
  for (const [root, measured] of runs) {
    const sorted = [...measured].sort((a, b) => a - b).map((v) => v.toFixed(2));
    console.log(
      `${root}: median ${median(measured).toFixed(2)} µs CPU per message (${sorted.join(", ")})`,
    );
  }
  if (values.against !== undefined) {
    const [mine, theirs] = roots.map((root) => median(runs.get(root) ?? []));
    console.log(`this build / the other: ${((mine ?? 0) / (theirs ?? 1)).toFixed(2)}x`);
  }
}
