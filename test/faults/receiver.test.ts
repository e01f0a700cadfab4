// A real daemon process against receivers that misbehave in every way SPEC section 8 names. Each
// fault has its own NATS account and its own receiver (so its own breaker origin), and all of them
// run at once in one daemon: a fault in one receiver must not cost another account anything.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { stringify } from "yaml";
import { freePort, startNatsServer, type NatsServerHandle } from "../../src/testing/nats-server.js";
import {
  startReceiver,
  type Receiver,
  type RecordedRequest,
  type ScriptedResponse,
} from "../../src/testing/receiver.js";
import { runCli, type CliRun } from "../helpers/cli-process.js";
import { consumerIdle, tempDir } from "../helpers/fixtures.js";
import { waitUntil } from "../helpers/wait.js";
import {
  EVENTS,
  alive,
  attemptOf,
  cleanup,
  exitWithin,
  forwardPort,
  logLines,
  provisionedPublisher,
  type Forwarder,
} from "./input-helpers.js";
import type { AccountClient } from "../helpers/fixtures.js";
import { webhookIds } from "./helpers.js";

const FAULTS = ["down", "reset", "slow", "redirect", "huge", "flap"] as const;
type Fault = (typeof FAULTS)[number];

const TEN_MB = Buffer.alloc(10 * 1024 * 1024, "x");

interface Tracked {
  readonly receiver: Receiver;
  /** webhook-ids the receiver accepted (answered 2xx at once). */
  readonly accepted: Set<string>;
  /** Payload numbers the receiver accepted. */
  readonly acceptedN: Set<number>;
  /** The statuses it answered, reset connections as 0. */
  readonly answered: number[];
}

/** A receiver whose answers are scripted per request and that remembers which ones it accepted. */
async function trackedReceiver(
  script: (r: RecordedRequest) => ScriptedResponse | undefined,
): Promise<Tracked> {
  const accepted = new Set<string>();
  const acceptedN = new Set<number>();
  const answered: number[] = [];
  const receiver = await startReceiver((r) => {
    const response = script(r) ?? {};
    const status = response.reset === true ? 0 : (response.status ?? 200);
    answered.push(status);
    if (status >= 200 && status < 300 && (response.delayMs ?? 0) === 0) {
      accepted.add(r.headers["webhook-id"] ?? "");
      acceptedN.add((JSON.parse(r.text) as { n: number }).n);
    }
    return response;
  });
  return { receiver, accepted, acceptedN, answered };
}

describe("faults: the webhook receiver", () => {
  const dir = tempDir("streamhook-receiver-faults-");
  let server: NatsServerHandle;
  let daemon: CliRun;
  let trap: Receiver;
  let forwarder: Forwarder | undefined;
  /** The port the "down" account posts to: nothing listens there until the test says so. */
  let downPort: number;
  const publishers = new Map<Fault, AccountClient>();
  const receivers = new Map<Fault, Tracked>();
  let flapStart = 0;

  const get = <T>(map: Map<Fault, T>, fault: Fault): T => {
    const value = map.get(fault);
    assert.ok(value !== undefined, `no ${fault}`);
    return value;
  };

  const scripts: Record<Fault, (r: RecordedRequest) => ScriptedResponse | undefined> = {
    down: () => undefined,
    reset: (r) => (attemptOf(r) === 1 ? { reset: true } : undefined),
    // Far beyond the account's 1 s timeout: only a timeout gets the message moving again.
    slow: (r) => (attemptOf(r) === 1 ? { status: 200, delayMs: 30_000 } : undefined),
    redirect: (r) => {
      if (attemptOf(r) > 1) return undefined;
      const { n } = JSON.parse(r.text) as { n: number };
      const status = [301, 302, 303, 307, 308][n % 5] ?? 302;
      return { status, headers: { location: trap.url } };
    },
    huge: (r) => ({ status: attemptOf(r) === 1 ? 503 : 200, body: TEN_MB }),
    // Up and down in 300 ms windows, whatever the request.
    flap: () => ({ status: Math.floor((Date.now() - flapStart) / 300) % 2 === 0 ? 503 : 200 }),
  };

  // Faults that fail only a message's first attempt send fewer messages than the breaker's
  // threshold (10), so that each first attempt meets the fault itself. Past the threshold, the
  // first attempts still to come would each be a half-open breaker's probe, failing one at a
  // time between cooldowns: the breaker working as it should, but not what these tests are about.
  const counts: Record<Fault, number> = {
    down: 20,
    reset: 8,
    slow: 8,
    redirect: 8,
    huge: 8,
    flap: 150,
  };

  before(async () => {
    server = await startNatsServer({ accounts: [...FAULTS] });
    trap = await startReceiver();
    downPort = await freePort();
    const accounts = [];
    for (const fault of FAULTS) {
      publishers.set(fault, await provisionedPublisher(server, fault));
      const tracked = await trackedReceiver(scripts[fault]);
      receivers.set(fault, tracked);
      const creds = join(dir.path, `${fault}.creds`);
      await server.writeCreds(fault, creds);
      const url = fault === "down" ? `http://127.0.0.1:${downPort}/hook` : tracked.receiver.url;
      accounts.push({
        name: fault,
        stream: EVENTS.stream,
        consumer: EVENTS.consumer,
        tenant_id: `t-${fault}`,
        credentials_file: creds,
        // Only "slow" needs a short timeout; the others keep the default, so that a loaded CI
        // machine does not turn their faults into timeouts.
        webhook: fault === "slow" ? { url, timeout: "1s" } : { url },
      });
    }
    const config = join(dir.path, "streamhook.yaml");
    writeFileSync(config, stringify({ nats: { servers: [server.url] }, accounts }));
    const httpPort = await freePort();
    daemon = runCli(["run", "--config", config], {
      STREAMHOOK_HTTP_LISTEN: `127.0.0.1:${httpPort}`,
      STREAMHOOK_LOG_LEVEL: "debug",
      STREAMHOOK_DELIVERY_BACKOFF: "100ms,200ms",
      STREAMHOOK_DELIVERY_MAX_ATTEMPTS: "1000",
      // The breaker stays on, as in production, but with cooldowns that fit a test.
      STREAMHOOK_BREAKER_COOLDOWN: "250ms",
      STREAMHOOK_BREAKER_MAX_COOLDOWN: "1s",
    });
    await waitUntil(
      async () => {
        assert.ok(alive(daemon), `daemon exited: ${daemon.stderr()}`);
        const res = await fetch(`http://127.0.0.1:${httpPort}/readyz`);
        return res.status === 200;
      },
      { timeoutMs: 20_000, message: "every account running (/readyz 200)" },
    );
  });

  after(() =>
    cleanup(
      () => daemon.kill(),
      () => forwarder?.close(),
      ...[...receivers.values()].map(
        ({ receiver }) =>
          () =>
            receiver.close(),
      ),
      () => trap.close(),
      ...[...publishers.values()].map((p) => () => p.close()),
      () => server.stop(),
      () => {
        dir.remove();
      },
    ),
  );

  async function publish(fault: Fault): Promise<void> {
    const { js } = get(publishers, fault);
    for (let n = 0; n < counts[fault]; n++) {
      await js.publish(`events.${fault}`, JSON.stringify({ fault, n }));
    }
  }

  const lines = (account: string, msg: string): Record<string, unknown>[] =>
    logLines(daemon.stdout()).filter((l) => l.account === account && l.msg === msg);

  /** Every published message accepted once or more, and nothing left with the consumer. */
  async function everythingDelivered(fault: Fault, timeoutMs = 20_000): Promise<void> {
    const tracked = get(receivers, fault);
    const { jsm } = get(publishers, fault);
    try {
      await waitUntil(
        async () =>
          tracked.accepted.size >= counts[fault] &&
          (await consumerIdle(jsm, EVENTS.stream, EVENTS.consumer)),
        { timeoutMs, message: `${fault}: ${counts[fault]} accepted and the consumer idle` },
      );
    } catch (error) {
      const info = await jsm.consumers.info(EVENTS.stream, EVENTS.consumer).catch(() => undefined);
      throw new Error(
        `${(error as Error).message}; accepted ${tracked.accepted.size}, ` +
          `${tracked.receiver.requests.length} requests, consumer ` +
          `num_pending ${info?.num_pending} num_ack_pending ${info?.num_ack_pending} ` +
          `num_redelivered ${info?.num_redelivered}`,
      );
    }
    assert.equal(tracked.accepted.size, counts[fault], "one webhook-id per published message");
    assert.deepEqual(
      [...tracked.acceptedN].sort((a, b) => a - b),
      [...Array(counts[fault]).keys()],
      "every payload arrived",
    );
    assert.deepEqual(
      logLines(daemon.stdout()).filter(
        (l) => l.account === fault && String(l.msg).includes("dead-lettered"),
      ),
      [],
      "nothing was dead-lettered",
    );
    assert.ok(alive(daemon), "the daemon process is still running");
  }

  /** The requests for each webhook-id, in arrival order. */
  function byId(fault: Fault): Map<string, RecordedRequest[]> {
    const out = new Map<string, RecordedRequest[]>();
    for (const r of get(receivers, fault).receiver.requests) {
      const id = r.headers["webhook-id"] ?? "";
      out.set(id, [...(out.get(id) ?? []), r]);
    }
    return out;
  }

  describe("each fault, all at once in one daemon", { concurrency: true }, () => {
    test("connection refused: retried until a receiver listens on the port", async () => {
      await publish("down");
      // Seen refused several times over, so the breaker has had its chance to open too.
      await waitUntil(
        () =>
          lines("down", "delivery failed, will retry").filter((l) =>
            JSON.stringify(l.outcome).includes("ECONNREFUSED"),
          ).length >= 12,
        { timeoutMs: 15_000, message: "refused deliveries logged" },
      );
      assert.equal(get(receivers, "down").receiver.requests.length, 0);
      forwarder = await forwardPort(downPort, get(receivers, "down").receiver.port);
      await everythingDelivered("down");
    });

    test("a connection reset on the first attempt: the retry delivers it", async () => {
      await publish("reset");
      await everythingDelivered("reset");
      for (const [id, requests] of byId("reset")) {
        assert.ok(requests.length >= 2, `${id}: ${requests.length} requests`);
        assert.equal(webhookIds(requests).size, 1);
      }
      const resets = lines("reset", "delivery failed, will retry").filter(
        (l) => (l.outcome as { kind?: string } | undefined)?.kind === "network_error",
      );
      assert.ok(resets.length >= counts.reset, `${resets.length} network errors logged`);
    });

    test("an answer after 30 s is a 1 s timeout, then the retry is accepted", async () => {
      await publish("slow");
      await everythingDelivered("slow");
      for (const [id, requests] of byId("slow")) {
        const [first, second] = requests;
        assert.ok(first && second, `${id}: retried`);
        const gap = second.receivedAt - first.receivedAt;
        // Waited for the 1 s timeout (the backoff alone is 100 ms), never for the 30 s answer. The
        // lower bound leaves room for this busy test process recording arrivals late.
        assert.ok(gap >= 500 && gap < 10_000, `${id}: retried after ${gap} ms`);
      }
      const timeouts = lines("slow", "delivery failed, will retry").filter(
        (l) => (l.outcome as { kind?: string } | undefined)?.kind === "timeout",
      );
      assert.ok(timeouts.length >= counts.slow, `${timeouts.length} timeouts logged`);
    });

    test("redirects are never followed and are retried like any other failure", async () => {
      await publish("redirect");
      await everythingDelivered("redirect");
      assert.equal(trap.requests.length, 0, "nothing went to the Location");
      for (const [id, requests] of byId("redirect")) {
        assert.deepEqual(
          requests.slice(0, 2).map(attemptOf),
          [1, 2],
          `${id}: the redirected attempt was followed by a retry`,
        );
      }
      const statuses = get(receivers, "redirect").answered.filter((s) => s >= 300 && s < 400);
      assert.equal(statuses.length, counts.redirect, "one redirect per message");
    });

    test("a 10 MB answer body, on a 503 and on a 200, changes nothing", async () => {
      await publish("huge");
      await everythingDelivered("huge");
      for (const [id, requests] of byId("huge")) {
        assert.ok(requests.length >= 2, `${id}: the 503 was retried`);
      }
    });

    test("a receiver flapping between 200 and 503 gets every message", async () => {
      flapStart = Date.now();
      await publish("flap");
      await everythingDelivered("flap", 30_000);
      const { answered } = get(receivers, "flap");
      const failed = answered.filter((s) => s === 503).length;
      assert.ok(failed > 0, "some requests met the 503 half");
      const retried = [...byId("flap").values()].filter((rs) => rs.length > 1).length;
      assert.ok(retried > 0, "some messages needed a retry");
    });
  });

  test("the daemon wrote nothing but its JSON log lines, even with many requests in flight", () => {
    assert.equal(daemon.stderr(), "");
  });

  test("the daemon is still running, never failed unexpectedly, and exits 0 on SIGTERM", async () => {
    assert.ok(alive(daemon), `daemon exited: ${daemon.stderr()}`);
    const unexpected = logLines(daemon.stdout()).filter((l) => Number(l.level) >= 50);
    assert.deepEqual(unexpected, [], "no error or fatal log line");
    daemon.child.kill("SIGTERM");
    assert.equal(await exitWithin(daemon, 15_000), 0, daemon.stderr());
  });
});
