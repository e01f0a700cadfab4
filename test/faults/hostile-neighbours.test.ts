// SPEC section 10: whatever one tenant does, broken or hostile, another tenant's deliveries go on
// as if it were not there. One daemon, run as an operator runs it, with a quiet tenant publishing
// steadily and, at the same time, every kind of bad neighbour the contract names.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { mkdirSync, writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { setTimeout as delay } from "node:timers/promises";
import type { JetStreamManager } from "@nats-io/jetstream";
import { headers as natsHeaders } from "@nats-io/transport-node";
import pidusage from "pidusage";
import {
  provision,
  startNatsServer,
  type NatsServerHandle,
} from "../../src/testing/nats-server.js";
import { startReceiver, type Receiver, type RecordedRequest } from "../../src/testing/receiver.js";
import type { CliRun } from "../helpers/cli-process.js";
import { consumerIdle, tempDir, type AccountClient } from "../helpers/fixtures.js";
import { waitUntil } from "../helpers/wait.js";
import {
  Cleanup,
  connectAs,
  explained,
  httpListen,
  readyz,
  startDaemonProcess,
} from "./helpers.js";

const STREAM = "EVENTS";
const CONSUMER = "hook";
const TIMEOUT_MS = 2_000;
const MAX_ATTEMPTS = 3;
/** "No attempt outlives its deadline by more than a fraction of a second." */
const DEADLINE_SLACK_MS = 500;
const BIG = 900 * 1024;
/** Per big tenant, while the others misbehave: a backlog the slow receiver needs a while for. */
const BIG_BACKLOG = 20;
/** Per big tenant, later: far more than the daemon may hold, so only its bounds keep memory down. */
const BIG_FLOOD = 150;
const BIG_TENANTS = ["big1", "big2", "big3"] as const;
const ACCOUNTS = [
  "quiet",
  "poison",
  "subject",
  "casevar",
  "nested",
  "trickle",
  "hints",
  ...BIG_TENANTS,
] as const;
type Account = (typeof ACCOUNTS)[number];

/** One request as a bare receiver saw it: when it arrived, and when its connection went away. */
interface Held {
  readonly id: string;
  readonly arrived: number;
  closed: number | undefined;
}

/**
 * A receiver that never answers properly: `behave` writes what it likes and keeps the response
 * open. Every request is recorded with the time its connection was closed by the daemon.
 */
async function stallingReceiver(
  behave: (res: ServerResponse) => NodeJS.Timeout | undefined,
): Promise<{ url: string; held: Held[]; close: () => Promise<void> }> {
  const held: Held[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const entry: Held = {
      id: String(req.headers["webhook-id"]),
      arrived: performance.now(),
      closed: undefined,
    };
    held.push(entry);
    req.resume();
    const timer = behave(res);
    if (timer !== undefined) timers.add(timer);
    res.on("close", () => {
      entry.closed = performance.now();
      if (timer !== undefined) {
        clearInterval(timer);
        timers.delete(timer);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${String(port)}/hook`,
    held,
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of timers) clearInterval(t);
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}

/**
 * A slow receiver in a process of its own, so that reading megabytes of bodies never delays this
 * process's clock on the quiet tenant: every POST is read, kept nowhere, and answered 200 after
 * `delayMs`; `GET /count` says how many were answered.
 */
async function slowReceiver(
  delayMs: number,
  cleanup: Cleanup,
): Promise<{ url: string; count: () => Promise<number> }> {
  const script = `
    const http = require("node:http");
    let count = 0;
    const server = http.createServer((req, res) => {
      if (req.method === "GET") return res.end(String(count));
      req.resume();
      req.on("end", () => setTimeout(() => { count++; res.end(); }, ${String(delayMs)}));
    });
    server.listen(0, "127.0.0.1", () => console.log(server.address().port));
    process.stdin.on("end", () => process.exit(0));
    process.stdin.resume();
  `;
  const child = spawn(process.execPath, ["-e", script], { stdio: ["pipe", "pipe", "inherit"] });
  cleanup.add("stop the slow receiver", () => {
    child.kill("SIGKILL");
  });
  const port = await new Promise<string>((resolve, reject) => {
    child.stdout.once("data", (chunk: Buffer) => {
      resolve(chunk.toString().trim());
    });
    child.once("exit", () => {
      reject(new Error("the slow receiver exited"));
    });
  });
  const base = `http://127.0.0.1:${port}`;
  return {
    url: `${base}/hook`,
    count: async () => Number(await (await fetch(`${base}/count`)).text()),
  };
}

describe("hostile neighbours: one tenant's behaviour never reaches another's deliveries", () => {
  const cleanup = new Cleanup();
  let server: NatsServerHandle;
  let shared: Receiver;
  let trickle: Awaited<ReturnType<typeof stallingReceiver>>;
  let hints: Awaited<ReturnType<typeof stallingReceiver>>;
  let slow: Awaited<ReturnType<typeof slowReceiver>>;
  const clients = new Map<Account, AccountClient>();
  let daemon: CliRun;
  let peakRss = 0;
  let sampling = true;
  let sampler: Promise<void> = Promise.resolve();
  const quietSent = new Map<number, number>();
  let quietP99 = Number.NaN;

  const client = (account: Account): AccountClient => {
    const found = clients.get(account);
    if (found === undefined) throw new Error(`no client for ${account}`);
    return found;
  };
  const requestsOf = (account: Account): RecordedRequest[] =>
    shared.requests.filter((r) => r.headers["streamhook-account"] === account);
  const dlqReasons = async (jsm: JetStreamManager): Promise<string[]> => {
    const info = await jsm.streams.info("DLQ");
    const reasons: string[] = [];
    for (let seq = info.state.first_seq; seq <= info.state.last_seq && seq > 0; seq++) {
      const stored = await jsm.streams.getMessage("DLQ", { seq });
      if (stored !== null) reasons.push(stored.header.get("streamhook-dlq-reason"));
    }
    return reasons;
  };

  before(async () => {
    const dir = tempDir("streamhook-hostile-");
    cleanup.add("remove the temporary directory", () => {
      dir.remove();
    });
    server = await startNatsServer({ accounts: [...ACCOUNTS] });
    cleanup.add("stop nats-server", () => server.stop());
    shared = await startReceiver();
    cleanup.add("close the shared receiver", () => shared.close());
    // 503, then a byte every 100 ms: the status arrives in time, the body never ends.
    trickle = await stallingReceiver((res) => {
      res.writeHead(503, { "content-type": "text/plain" });
      return setInterval(() => res.write("x"), 100);
    });
    cleanup.add("close the trickling receiver", () => trickle.close());
    // 103 Early Hints every 100 ms and never a final status.
    hints = await stallingReceiver((res) =>
      setInterval(() => {
        res.writeEarlyHints({ link: "</a.css>; rel=preload" });
      }, 100),
    );
    cleanup.add("close the early-hints receiver", () => hints.close());
    // Slow enough to hold slots and build up memory, not so busy as to eat both cores.
    slow = await slowReceiver(4_000, cleanup);

    const urls: Partial<Record<Account, string>> = {
      trickle: trickle.url,
      hints: hints.url,
      big1: slow.url,
      big2: slow.url,
      big3: slow.url,
    };
    const accountsDir = join(dir.path, "accounts");
    for (const account of ACCOUNTS) {
      const creds = await server.createUserCreds(account);
      await provision(
        { url: server.url, creds },
        { stream: STREAM, subjects: ["events.>"], consumer: CONSUMER, ackWaitMs: 10_000 },
      );
      const accountClient = await connectAs(server, account, cleanup);
      await accountClient.jsm.streams.add({ name: "DLQ", subjects: ["dlq.>"] });
      clients.set(account, accountClient);
      const accountDir = join(accountsDir, account);
      mkdirSync(accountDir, { recursive: true });
      writeFileSync(join(accountDir, "user.creds"), creds, { mode: 0o600 });
      const url = urls[account];
      // The slow receiver answers within its own, longer timeout: it is slow, not broken.
      const timeout = (BIG_TENANTS as readonly string[]).includes(account) ? ", timeout: 8s" : "";
      const webhook = url === undefined ? "" : `webhook: { url: "${url}"${timeout} }\n`;
      writeFileSync(
        join(accountDir, "meta.yaml"),
        `stream: ${STREAM}\nconsumer: ${CONSUMER}\ntenant_id: ${account}\n${webhook}`,
      );
    }

    // The backlogs are there before the daemon starts: it meets them all at once.
    for (const account of BIG_TENANTS) {
      const payload = JSON.stringify({ pad: "x".repeat(BIG) });
      for (let i = 0; i < BIG_BACKLOG; i++) await client(account).js.publish("events.big", payload);
    }
    for (const account of ["trickle", "hints"] as const) {
      for (let i = 0; i < 4; i++) {
        await client(account).js.publish("events.x", JSON.stringify({ n: i }));
      }
    }

    const http = await httpListen();
    daemon = startDaemonProcess(
      {
        STREAMHOOK_NATS_SERVERS: server.url,
        STREAMHOOK_ACCOUNTS_DIR: accountsDir,
        STREAMHOOK_WEBHOOK_URL: shared.url,
        STREAMHOOK_WEBHOOK_TIMEOUT: `${String(TIMEOUT_MS)}ms`,
        STREAMHOOK_DELIVERY_MAX_ATTEMPTS: String(MAX_ATTEMPTS),
        STREAMHOOK_DELIVERY_BACKOFF: "300ms",
        // Above what the stalling tenants can fail in this test: the attempt budget is exact.
        STREAMHOOK_BREAKER_FAILURE_THRESHOLD: "50",
        STREAMHOOK_DLQ_SUBJECT: "dlq.{account}",
        STREAMHOOK_HTTP_LISTEN: http.listen,
        STREAMHOOK_LOG_LEVEL: "warn",
      },
      cleanup,
    );
    const pid = daemon.child.pid;
    if (pid === undefined) throw new Error("the daemon did not start");
    sampler = (async () => {
      while (sampling) {
        try {
          peakRss = Math.max(peakRss, (await pidusage(pid)).memory);
        } catch {
          return; // The process is gone.
        }
        await delay(100);
      }
    })();
    cleanup.add("stop sampling memory", async () => {
      sampling = false;
      await sampler;
      pidusage.clear();
    });
    // Latency is measured from here: start-up is not the quiet tenant's wait.
    await explained(
      [daemon],
      waitUntil(async () => (await readyz(http.port).catch(() => ({ status: 0 }))).status === 200, {
        timeoutMs: 20_000,
        message: "every account running",
      }),
    );
  });

  after(() => cleanup.runOrThrow());

  test("every bad neighbour at once", async (t) => {
    const publishAll = async (): Promise<void> => {
      const poison = natsHeaders();
      poison.set("traceparent", "00-€");
      poison.set("tracestate", "rojo=1");
      const valid = natsHeaders();
      valid.set("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
      // As deep as the payload that made JSON.stringify throw in the daemon: 10 KB, 5,000 levels.
      const deep = 5_000;
      const nestedPayload = `{"tenant_id":"x","a":${"[".repeat(deep)}${"]".repeat(deep)}}`;
      for (let i = 0; i < 10; i++) {
        await client("poison").js.publish("events.x", JSON.stringify({ n: i }), {
          headers: i % 2 === 0 ? poison : valid,
        });
        await client("subject").js.publish(
          i % 2 === 0 ? "events.€" : "events.ü.x",
          JSON.stringify({ n: i }),
        );
        await client("casevar").js.publish(
          "events.x",
          JSON.stringify({ TENANT_ID: "globex", Tenant_Id: "globex", tenant_id: "globex", n: i }),
        );
        if (i < 3) await client("nested").js.publish("events.x", nestedPayload);
      }
    };
    const quietly = async (): Promise<void> => {
      // A steady trickle of events, 10 a second for 12 seconds, while the others misbehave.
      for (let n = 0; n < 120; n++) {
        quietSent.set(n, Date.now());
        await client("quiet").js.publish("events.q", JSON.stringify({ n }));
        await delay(100);
      }
    };
    await explained([daemon], Promise.all([publishAll(), quietly()]));

    await explained(
      [daemon],
      waitUntil(
        async () =>
          requestsOf("quiet").length >= 120 &&
          (await consumerIdle(client("quiet").jsm, STREAM, CONSUMER)) &&
          (await consumerIdle(client("poison").jsm, STREAM, CONSUMER)) &&
          (await consumerIdle(client("subject").jsm, STREAM, CONSUMER)) &&
          (await consumerIdle(client("casevar").jsm, STREAM, CONSUMER)) &&
          (await consumerIdle(client("nested").jsm, STREAM, CONSUMER)) &&
          (await consumerIdle(client("trickle").jsm, STREAM, CONSUMER)) &&
          (await consumerIdle(client("hints").jsm, STREAM, CONSUMER)),
        { timeoutMs: 60_000, message: "the quiet tenant and every small neighbour settled" },
      ),
    );

    // The quiet tenant: nothing lost, nothing late.
    const latencies = requestsOf("quiet")
      .map((r) => {
        const n = (JSON.parse(r.text) as { n: number }).n;
        return r.receivedAt - (quietSent.get(n) ?? Number.NaN);
      })
      .sort((a, b) => a - b);
    const quietIds = new Set(requestsOf("quiet").map((r) => r.headers["webhook-id"]));
    assert.equal(quietIds.size, 120, "every quiet event delivered");
    quietP99 = latencies[Math.ceil(latencies.length * 0.99) - 1] ?? Number.NaN;
    const worst = latencies.slice(-5).map(Math.round).join(", ");

    // Poison headers: delivered, with only valid trace context passed on.
    const poisoned = requestsOf("poison");
    assert.equal(new Set(poisoned.map((r) => r.headers["webhook-id"])).size, 10);
    for (const r of poisoned) {
      const n = (JSON.parse(r.text) as { n: number }).n;
      if (n % 2 === 0) {
        assert.equal(r.headers.traceparent, undefined);
        assert.equal(r.headers.tracestate, undefined);
      } else {
        assert.equal(
          r.headers.traceparent,
          "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        );
      }
    }
    // Non-ASCII subjects: delivered, the subject percent-encoded.
    const subjects = new Set(requestsOf("subject").map((r) => r.headers["streamhook-subject"]));
    assert.deepEqual([...subjects].sort(), ["events.%C3%BC.x", "events.%E2%82%AC"]);
    // Case variants: the account's tenant is the only one left.
    for (const r of requestsOf("casevar")) {
      const body = JSON.parse(r.text) as Record<string, unknown>;
      const variants = Object.keys(body).filter((k) => k.toLowerCase() === "tenant_id");
      assert.deepEqual(variants, ["tenant_id"], r.text);
      assert.equal(body.tenant_id, "casevar");
    }
    // Too deep to re-serialise: dead-lettered as malformed, never sent, never retried.
    assert.equal(requestsOf("nested").length, 0);
    assert.deepEqual(await dlqReasons(client("nested").jsm), [
      "malformed_payload",
      "malformed_payload",
      "malformed_payload",
    ]);

    // Stalling receivers: every attempt cut at its deadline, each message tried max_attempts
    // times and then dead-lettered.
    for (const receiver of [trickle, hints]) {
      const perMessage = new Map<string, number>();
      for (const h of receiver.held) {
        perMessage.set(h.id, (perMessage.get(h.id) ?? 0) + 1);
        assert.ok(h.closed !== undefined, "the daemon closed the connection");
        const lasted = h.closed - h.arrived;
        assert.ok(
          lasted < TIMEOUT_MS + DEADLINE_SLACK_MS,
          `an attempt lasted ${String(lasted)} ms`,
        );
      }
      assert.equal(perMessage.size, 4);
      for (const [id, attempts] of perMessage) assert.equal(attempts, MAX_ATTEMPTS, id);
    }
    assert.deepEqual(await dlqReasons(client("trickle").jsm), new Array(4).fill("max_attempts"));
    assert.deepEqual(await dlqReasons(client("hints").jsm), new Array(4).fill("max_attempts"));

    // No message of the shared receiver's tenants was attempted more than max_attempts times.
    const perId = new Map<string, number>();
    for (const r of shared.requests) {
      const id = r.headers["webhook-id"] ?? "";
      perId.set(id, (perId.get(id) ?? 0) + 1);
    }
    assert.ok(Math.max(...perId.values()) <= MAX_ATTEMPTS);

    t.diagnostic(`quiet p99 ${String(Math.round(quietP99))} ms (slowest: ${worst})`);
  });

  test("the quiet tenant's p99 stays under 1 s", () => {
    assert.ok(quietP99 < 1_000, `quiet p99 ${String(Math.round(quietP99))} ms`);
  });

  test(
    "backlogs of big messages behind a slow receiver keep the daemon under 400 MiB",
    { timeout: 120_000 },
    async (t) => {
      const payload = JSON.stringify({ pad: "x".repeat(BIG) });
      const before = await slow.count();
      for (const account of BIG_TENANTS) {
        for (let i = 0; i < BIG_FLOOD; i++) await client(account).js.publish("events.big", payload);
      }
      await waitUntil(async () => (await slow.count()) >= before + 60, {
        timeoutMs: 60_000,
        message: "some big messages delivered",
      });
      const peakMiB = peakRss / (1024 * 1024);
      t.diagnostic(
        `peak RSS ${peakMiB.toFixed(0)} MiB; ${String(await slow.count())} big messages delivered`,
      );
      assert.ok(peakMiB < 400, `peak RSS ${peakMiB.toFixed(0)} MiB`);
    },
  );
});
