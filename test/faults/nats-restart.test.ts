// nats-server SIGKILLed mid-stream and back 35 s later. The v3 client gives up reconnecting after
// ten attempts two seconds apart by default, and a consume loop then ends without a word; the
// outage is longer than that on purpose, and the daemon process is never restarted.
import assert from "node:assert/strict";
import { setTimeout as delay } from "node:timers/promises";
import { after, test } from "node:test";
import {
  Cleanup,
  accountState,
  connectAs,
  consumerInfo,
  daemonEnv,
  drained,
  explained,
  httpListen,
  publishEvents,
  readyz,
  startDaemonProcess,
  startFaultEnv,
  webhookIds,
} from "./helpers.js";
import { waitUntil } from "../helpers/wait.js";

const cleanup = new Cleanup();
after(() => cleanup.runOrThrow());

const OUTAGE_MS = 35_000;

test(
  "the daemon rides out a 35 s nats-server outage and delivers everything",
  { timeout: 150_000 },
  async (t) => {
    const before = 2_000;
    const afterRestart = 1_000;
    const env = await startFaultEnv(
      {
        accounts: ["acme"],
        // What the daemon held when the server died is redelivered once ack_wait passes.
        ackWaitMs: 3_000,
        script: () => ({ status: 200, delayMs: 10 }),
      },
      cleanup,
    );
    const publisher = await connectAs(env.server, "acme", cleanup);
    await publishEvents(publisher.js, "before", before);
    // Our own connection would give up during the outage; a new one is made after it.
    await publisher.close();

    const http = await httpListen();
    const daemon = startDaemonProcess(
      daemonEnv(env, {
        STREAMHOOK_HTTP_LISTEN: http.listen,
        STREAMHOOK_DELIVERY_ACCOUNT_CONCURRENCY: "16",
      }),
      cleanup,
    );
    await explained(
      [daemon],
      env.receiver.waitForCount(300, { timeoutMs: 30_000, message: "300 deliveries" }),
    );
    await env.server.kill();
    const killedAt = Date.now();
    const deliveredAtKill = webhookIds(env.receiver.requests).size;
    assert.ok(deliveredAtKill < before, "the server died in the middle of the backlog");

    await delay(OUTAGE_MS);
    assert.equal(daemon.child.exitCode, null, "the daemon is still running");
    assert.equal(daemon.child.signalCode, null, "the daemon is still running");
    const probe = await readyz(http.port);
    const duringOutage = accountState(probe, "acme");

    await env.server.restart();
    const restartedAt = Date.now();
    const client = await connectAs(env.server, "acme", cleanup);
    await publishEvents(client.js, "after", afterRestart);

    const total = before + afterRestart;
    await explained(
      [daemon],
      waitUntil(
        async () => webhookIds(env.receiver.requests).size >= total && (await drained(client.jsm)),
        { timeoutMs: 60_000, intervalMs: 100, message: "every message delivered and acked" },
      ),
    );
    const recoveredAt = Date.now();
    assert.equal(daemon.child.exitCode, null, "the same daemon process did it");

    const requests = env.receiver.requests;
    const ids = webhookIds(requests);
    assert.equal(ids.size, total, "every message arrived at least once");
    const events = new Set(
      requests.map((r) => {
        const { tag, i } = JSON.parse(r.text) as { tag: string; i: number };
        return `${tag}:${String(i)}`;
      }),
    );
    for (let i = 0; i < before; i++)
      assert.ok(events.has(`before:${String(i)}`), `before:${String(i)}`);
    for (let i = 0; i < afterRestart; i++)
      assert.ok(events.has(`after:${String(i)}`), `after:${String(i)}`);
    const info = await consumerInfo(client.jsm);
    assert.equal(info.num_pending, 0);
    assert.equal(info.num_ack_pending, 0);
    await waitUntil(async () => (await readyz(http.port)).status === 200, {
      timeoutMs: 10_000,
      message: "/readyz 200 again",
    });

    // Messages the daemon already held are still posted while the server is down; their acks
    // cannot reach it, so JetStream delivers each of them again after the restart.
    const postedInOutage = requests.filter(
      (r) => r.receivedAt >= killedAt && r.receivedAt < restartedAt,
    ).length;
    const firstAfterRestart = requests.find((r) => r.receivedAt >= restartedAt);
    const resumedMs =
      firstAfterRestart === undefined ? Number.NaN : firstAfterRestart.receivedAt - restartedAt;
    t.diagnostic(
      `nats-server SIGKILL: killed after ${String(deliveredAtKill)} of ${String(before)} ` +
        `deliveries, down ${String(restartedAt - killedAt)} ms ` +
        `(/readyz ${String(probe.status)} ${JSON.stringify(duringOutage)} at its end; ` +
        `${String(postedInOutage)} held messages posted during it); first delivery ` +
        `${String(resumedMs)} ms after the restart; all ${String(total)} delivered and acked ` +
        `${String(recoveredAt - restartedAt)} ms after the restart; ` +
        `${String(requests.length - ids.size)} duplicates`,
    );

    await t.test("the account was reported waiting while the server was unreachable", () => {
      assert.equal(duringOutage?.state, "waiting");
      assert.equal(probe.status, 503);
    });
  },
);
