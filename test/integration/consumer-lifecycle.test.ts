// The consumer deleted under a running daemon: pulls that find nobody to answer them may only
// mean an election in a cluster, so the daemon asks the consumer's state before it gives up the
// session; a consumer that is really gone makes the account wait for it, and its return resumes
// deliveries without a restart.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { provision } from "../../src/testing/nats-server.js";
import { runDaemon, singleAccountEnv, type SingleAccountEnv } from "../helpers/fixtures.js";
import { waitUntil } from "../helpers/wait.js";

const RESOURCES = { stream: "LIFE", subjects: ["life.>"], consumer: "hook" } as const;
let env: SingleAccountEnv;

before(async () => {
  env = await singleAccountEnv(RESOURCES);
});
after(() => env.close());

test("a consumer deleted while running: the account waits, naming it, and resumes when it is back", async () => {
  const { server, receiver, acme } = env;
  const { daemon } = runDaemon({
    STREAMHOOK_NATS_SERVERS: server.url,
    STREAMHOOK_CREDENTIALS_FILE: acme.credsFile,
    STREAMHOOK_STREAM: RESOURCES.stream,
    STREAMHOOK_CONSUMER: RESOURCES.consumer,
    STREAMHOOK_WEBHOOK_URL: receiver.url,
  });
  try {
    const state = (): { state?: string; reason?: string } => daemon.supervisor.accounts()[0] ?? {};
    await waitUntil(() => state().state === "running", { message: "running" });
    await acme.js.publish("life.a", JSON.stringify({ n: 1 }));
    await receiver.waitForCount(1);

    await acme.jsm.consumers.delete(RESOURCES.stream, RESOURCES.consumer);
    // The open pull request learns it first ("consumer deleted"); the next attempt names it.
    await waitUntil(
      () => state().state === "waiting" && /consumer "hook" not found/.test(state().reason ?? ""),
      { timeoutMs: 20_000, message: "the account waits for its consumer, naming it" },
    );

    await provision(acme.nc, RESOURCES);
    await acme.js.publish("life.a", JSON.stringify({ n: 2 }));
    await receiver.waitForCount(2, { timeoutMs: 30_000, message: "delivered after the return" });
    assert.equal(state().state, "running");
  } finally {
    await daemon.stop();
  }
});
