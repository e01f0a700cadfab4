// SIGKILL gives the daemon no chance to nak or drain: whatever it held or had in flight is only
// recovered because nothing is acked before the receiver accepted it and JetStream redelivers
// after ack_wait.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import {
  Cleanup,
  connectAs,
  consumerInfo,
  daemonEnv,
  drained,
  explained,
  publishEvents,
  startDaemonProcess,
  startFaultEnv,
  webhookIds,
} from "./helpers.js";
import { waitUntil } from "../helpers/wait.js";

const cleanup = new Cleanup();
after(() => cleanup.runOrThrow());

test(
  "a daemon SIGKILLed mid-backlog loses nothing: the next run delivers every message",
  { timeout: 90_000 },
  async (t) => {
    const total = 3_000;
    const env = await startFaultEnv(
      {
        accounts: ["acme"],
        ackWaitMs: 3_000,
        // Slow enough that the backlog takes seconds to drain and the kill lands in the middle.
        script: () => ({ status: 200, delayMs: 20 }),
      },
      cleanup,
    );
    const acme = await connectAs(env.server, "acme", cleanup);
    await publishEvents(acme.js, "kill", total);

    const config = daemonEnv(env, { STREAMHOOK_DELIVERY_ACCOUNT_CONCURRENCY: "16" });
    const first = startDaemonProcess(config, cleanup);
    await explained(
      [first],
      env.receiver.waitForCount(500, { timeoutMs: 30_000, message: "500 deliveries" }),
    );
    await first.kill();
    const beforeKill = env.receiver.requests.length;
    const atKill = await consumerInfo(acme.jsm);
    assert.ok(
      webhookIds(env.receiver.requests).size < total,
      "the kill landed before the backlog was drained",
    );
    assert.ok(atKill.num_ack_pending > 0, "the killed daemon left messages unacknowledged");

    const restarted = Date.now();
    const second = startDaemonProcess(config, cleanup);
    await explained(
      [second],
      waitUntil(() => drained(acme.jsm), {
        timeoutMs: 60_000,
        intervalMs: 100,
        message: "the second run drains the consumer",
      }),
    );
    const recoveryMs = Date.now() - restarted;
    await second.kill();

    const ids = webhookIds(env.receiver.requests);
    assert.equal(ids.size, total, "every message arrived at least once");
    assert.ok(
      env.receiver.requests.every((r) => r.headers["streamhook-account"] === "acme"),
      "only this account's messages were posted",
    );
    const info = await consumerInfo(acme.jsm);
    assert.equal(info.num_pending, 0);
    assert.equal(info.num_ack_pending, 0);
    const duplicates = env.receiver.requests.length - ids.size;
    t.diagnostic(
      `daemon SIGKILL: ${String(total)} messages, killed after ${String(beforeKill)} deliveries ` +
        `with ${String(atKill.num_ack_pending)} unacknowledged and ${String(atKill.num_pending)} ` +
        `not yet pulled; the restarted daemon drained the rest in ${String(recoveryMs)} ms; ` +
        `${String(duplicates)} duplicate deliveries (${String(env.receiver.requests.length)} ` +
        `requests for ${String(ids.size)} distinct webhook-ids)`,
    );
  },
);
