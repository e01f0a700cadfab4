import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startNatsServer, type NatsServerHandle } from "../../src/testing/nats-server.js";
import { startReceiver, type Receiver, type RecordedRequest } from "../../src/testing/receiver.js";
import {
  accountFixture,
  consumerIdle,
  runDaemon,
  tempDir,
  type AccountFixture,
} from "../helpers/fixtures.js";
import { waitUntil } from "../helpers/wait.js";
import { writeDaemonConfig } from "../helpers/daemon-config.js";

const RATE = 20;
const BACKLOG = 200;

/** The most requests that arrived within any one second. */
function busiestSecond(requests: readonly RecordedRequest[]): number {
  const times = requests.map((r) => r.receivedAt).sort((a, b) => a - b);
  let most = 0;
  let start = 0;
  for (let end = 0; end < times.length; end++) {
    while ((times[end] ?? 0) - (times[start] ?? 0) >= 1_000) start++;
    most = Math.max(most, end - start + 1);
  }
  return most;
}

describe("webhook.rate_limit", () => {
  const dir = tempDir();
  let server: NatsServerHandle;
  let receiver: Receiver;
  let acme: AccountFixture;
  let globex: AccountFixture;
  let configFile: string;

  before(async () => {
    server = await startNatsServer({ accounts: ["acme", "globex"] });
    receiver = await startReceiver();
    // A short ack_wait: a message that waits for the limit without progress signals comes back.
    const resources = { stream: "EV", subjects: ["ev.>"], consumer: "hook", ackWaitMs: 5_000 };
    acme = await accountFixture(server, "acme", dir.path, resources);
    globex = await accountFixture(server, "globex", dir.path, resources);
    const account = (fixture: AccountFixture, name: string) => ({
      name,
      stream: "EV",
      consumer: "hook",
      tenant_id: name,
      credentials_file: fixture.credsFile,
    });
    configFile = writeDaemonConfig(dir.path, {
      servers: [server.url],
      webhook: { url: receiver.url },
      accounts: [
        { ...account(acme, "acme"), webhook: { rate_limit: RATE } },
        account(globex, "globex"),
      ],
    });
  });

  after(async () => {
    await acme.close();
    await globex.close();
    await receiver.close();
    await server.stop();
    dir.remove();
  });

  test("a paced account's backlog goes out at the rate, without redeliveries, and never slows another", async () => {
    await Promise.all(
      Array.from({ length: BACKLOG }, (_, i) => acme.js.publish("ev.a", JSON.stringify({ i }))),
    );
    await Promise.all(
      Array.from({ length: 50 }, (_, i) => globex.js.publish("ev.g", JSON.stringify({ i }))),
    );
    const of = (tenant: string): RecordedRequest[] =>
      receiver.requests.filter((r) => r.headers["streamhook-tenant"] === tenant);
    const { daemon } = runDaemon({ STREAMHOOK_CONFIG: configFile });
    try {
      await waitUntil(() => of("globex").length >= 50, {
        timeoutMs: 5_000,
        message: "globex's 50, while acme is paced",
      });
      assert.ok(of("acme").length < BACKLOG / 2, `acme at ${of("acme").length} by then`);
      await waitUntil(
        async () => of("acme").length >= BACKLOG && (await consumerIdle(acme.jsm, "EV", "hook")),
        { timeoutMs: 20_000, message: `acme's ${BACKLOG} (${of("acme").length} so far)` },
      );
      const paced = of("acme");
      assert.equal(paced.length, BACKLOG, "each message once");
      assert.ok(
        paced.every((r) => r.headers["streamhook-attempt"] === "1"),
        "no redelivery while waiting for the limit",
      );
      // The burst plus one second's tokens. Measured at the receiver, whose arrival times jitter
      // by a few milliseconds (the burst's first requests also open connections), so a window
      // can catch a token or two due just after it; without the limit this is over a hundred.
      const busiest = busiestSecond(paced);
      assert.ok(busiest <= 2 * RATE + 3, `${busiest} requests within one second`);
      const times = paced.map((r) => r.receivedAt);
      const seconds = (Math.max(...times) - Math.min(...times)) / 1000;
      assert.ok(seconds >= (BACKLOG - RATE) / RATE - 0.5, `${seconds.toFixed(1)} s`);
      const info = await acme.jsm.consumers.info("EV", "hook");
      assert.equal(info.num_redelivered, 0);
    } finally {
      await daemon.stop();
    }
  });
});
