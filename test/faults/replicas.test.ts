// Three daemons on one accounts directory, pulling from the same durable consumers, as replicas of
// a Deployment do: JetStream hands each message to one of them, so together they deliver every
// message, and each takes a share of the work.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import type { CliRun } from "../helpers/cli-process.js";
import { waitUntil } from "../helpers/wait.js";
import {
  Cleanup,
  connectAs,
  consumerInfo,
  daemonEnv,
  drained,
  explained,
  httpListen,
  ofAccount,
  publishEvents,
  readyz,
  startDaemonProcess,
  startFaultEnv,
  webhookIds,
} from "./helpers.js";
import type { AccountClient } from "../helpers/fixtures.js";

const cleanup = new Cleanup();
after(() => cleanup.runOrThrow());

const ACCOUNTS = ["north", "south"];
const REPLICAS = ["a", "b", "c"];

test(
  "three replicas on the same consumers deliver every message between them, each a share",
  { timeout: 90_000 },
  async (t) => {
    const perAccount = 3_000;
    const total = perAccount * ACCOUNTS.length;
    // A little latency per request, so that no replica can drain a batch before the others pull.
    const env = await startFaultEnv(
      { accounts: ACCOUNTS, ackWaitMs: 30_000, script: () => ({ status: 200, delayMs: 5 }) },
      cleanup,
    );
    const clients = new Map<string, AccountClient>();
    for (const account of ACCOUNTS)
      clients.set(account, await connectAs(env.server, account, cleanup));

    const runs: CliRun[] = [];
    const ports: number[] = [];
    for (const replica of REPLICAS) {
      const http = await httpListen();
      ports.push(http.port);
      runs.push(
        startDaemonProcess(
          daemonEnv(env, {
            STREAMHOOK_HTTP_LISTEN: http.listen,
            STREAMHOOK_WEBHOOK_HEADERS: JSON.stringify({ "x-replica": replica }),
          }),
          cleanup,
        ),
      );
    }
    // Every replica pulls before anything is published, so none gets a head start on the backlog.
    await explained(
      runs,
      waitUntil(
        async () => {
          for (const port of ports) {
            const ready = await readyz(port);
            if (ready.status !== 200 || ready.accounts.length !== ACCOUNTS.length) return false;
          }
          return true;
        },
        { timeoutMs: 30_000, intervalMs: 100, message: "every replica ready" },
      ),
    );

    const started = Date.now();
    await Promise.all(
      [...clients.values()].map((client) => publishEvents(client.js, "replicated", perAccount)),
    );
    await explained(
      runs,
      waitUntil(
        async () => {
          if (webhookIds(env.receiver.requests).size < total) return false;
          for (const client of clients.values()) if (!(await drained(client.jsm))) return false;
          return true;
        },
        { timeoutMs: 60_000, intervalMs: 100, message: "every message delivered and acked" },
      ),
    );
    const elapsedMs = Date.now() - started;
    for (const run of runs) assert.equal(run.child.exitCode, null, "every replica still runs");

    const requests = env.receiver.requests;
    assert.equal(webhookIds(requests).size, total, "every message arrived at least once");
    for (const account of ACCOUNTS) {
      const events = new Set(ofAccount(requests, account).map((r) => r.headers["webhook-id"]));
      assert.equal(events.size, perAccount, `${account}: every message arrived`);
      const info = await consumerInfo((clients.get(account) as AccountClient).jsm);
      assert.equal(info.num_pending, 0);
      assert.equal(info.num_ack_pending, 0);
    }

    const split = REPLICAS.map((replica) => {
      const mine = requests.filter((r) => r.headers["x-replica"] === replica);
      const byAccount = ACCOUNTS.map((a) => `${a} ${String(ofAccount(mine, a).length)}`);
      return { replica, count: mine.length, detail: byAccount.join(", ") };
    });
    assert.equal(
      split.reduce((sum, s) => sum + s.count, 0),
      requests.length,
      "every request came from one of the replicas",
    );
    const duplicates = requests.length - total;
    t.diagnostic(
      `replicas: ${String(total)} messages (${String(ACCOUNTS.length)} accounts x ` +
        `${String(perAccount)}) delivered and acked in ${String(elapsedMs)} ms from the first ` +
        `publish; split ${split
          .map(
            (s) =>
              `${s.replica} ${String(s.count)} (${((100 * s.count) / requests.length).toFixed(1)}%: ${s.detail})`,
          )
          .join("; ")}; ${String(duplicates)} duplicates`,
    );
    for (const s of split) {
      assert.ok(
        s.count >= total * 0.1,
        `replica ${s.replica} delivered at least 10% (${String(s.count)} of ${String(total)})`,
      );
    }
  },
);
