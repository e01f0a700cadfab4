// An account's user revoked at runtime (an account JWT update pushed through the system account,
// as an operator would do it): that account waits with a reason, its neighbour never notices, and
// a new creds file brings it back with nothing lost.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import {
  Cleanup,
  accountState,
  connectAs,
  daemonEnv,
  drained,
  explained,
  httpListen,
  ofAccount,
  publishEvents,
  readyz,
  replaceCreds,
  startDaemonProcess,
  startFaultEnv,
  webhookIds,
  type Readyz,
} from "./helpers.js";
import type { RecordedRequest } from "../../src/testing/receiver.js";
import { waitUntil } from "../helpers/wait.js";

const cleanup = new Cleanup();
after(() => cleanup.runOrThrow());

const tagged = (requests: readonly RecordedRequest[], account: string, tag: string) =>
  ofAccount(requests, account).filter((r) => (JSON.parse(r.text) as { tag: string }).tag === tag);

test(
  "a revoked account waits with a reason, the other keeps delivering, new creds bring it back",
  { timeout: 90_000 },
  async (t) => {
    const env = await startFaultEnv({ accounts: ["alpha", "beta"], ackWaitMs: 10_000 }, cleanup);
    const alpha = await connectAs(env.server, "alpha", cleanup);
    const beta = await connectAs(env.server, "beta", cleanup);
    const http = await httpListen();
    const daemon = startDaemonProcess(
      daemonEnv(env, { STREAMHOOK_HTTP_LISTEN: http.listen }),
      cleanup,
    );
    let last: Readyz | undefined;
    // Every state alpha was seen in, with its reason, for the report.
    const alphaStates: string[] = [];
    const probe = async (): Promise<Readyz> => {
      last = await readyz(http.port);
      const alphaState = accountState(last, "alpha");
      const seen = `${alphaState?.state ?? "absent"} (${alphaState?.reason ?? "no reason"})`;
      if (alphaStates.at(-1) !== seen) alphaStates.push(seen);
      return last;
    };
    const during = <T>(work: Promise<T>): Promise<T> =>
      explained([daemon], work).catch((error: unknown) => {
        throw new Error(`${String(error)}\nlast /readyz: ${JSON.stringify(last)}`, {
          cause: error,
        });
      });

    await during(
      waitUntil(async () => (await probe()).status === 200 && last?.accounts.length === 2, {
        timeoutMs: 30_000,
        intervalMs: 100,
        message: "both accounts running",
      }),
    );
    const count = 50;
    await publishEvents(alpha.js, "before", count);
    await publishEvents(beta.js, "before", count);
    await during(
      env.receiver.waitFor(
        (rs) =>
          tagged(rs, "alpha", "before").length >= count &&
          tagged(rs, "beta", "before").length >= count,
        { timeoutMs: 20_000, message: "the first events of both accounts" },
      ),
    );

    const revoked = env.users.get("alpha");
    assert.ok(revoked);
    const revokedAt = Date.now();
    await env.server.revokeUser("alpha", revoked.publicKey);
    // Until its next connect attempt the account only knows that its connection closed; what
    // matters is that it then says the server refuses these credentials.
    const refused = /authori[sz]|revoked|refused/i;
    await during(
      waitUntil(
        async () => {
          const alphaState = accountState(await probe(), "alpha");
          return alphaState?.state === "waiting" && refused.test(alphaState.reason ?? "");
        },
        { timeoutMs: 30_000, intervalMs: 100, message: "alpha waiting: authorization refused" },
      ),
    );
    const waitingAfterMs = Date.now() - revokedAt;
    const waiting = last;
    assert.ok(waiting);
    assert.equal(waiting.status, 503, "not ready while an account waits");
    const reason = accountState(waiting, "alpha")?.reason ?? "";
    assert.doesNotMatch(reason, /SU[A-Z2-7]{40,}|eyJ/, "no seed or JWT in the reason");
    assert.equal(accountState(waiting, "beta")?.state, "running");

    await publishEvents(alpha.js, "revoked", count);
    await publishEvents(beta.js, "revoked", count);
    await during(
      env.receiver.waitFor((rs) => tagged(rs, "beta", "revoked").length >= count, {
        timeoutMs: 20_000,
        message: "beta keeps delivering while alpha is revoked",
      }),
    );
    assert.equal(
      tagged(env.receiver.requests, "alpha", "revoked").length,
      0,
      "nothing of alpha is consumed while its user is revoked",
    );
    const meanwhile = await probe();
    assert.notEqual(
      accountState(meanwhile, "alpha")?.state,
      "running",
      "alpha does not claim to run meanwhile",
    );
    assert.equal(accountState(meanwhile, "beta")?.state, "running");

    const fresh = await env.server.createUser("alpha", { name: "streamhook-alpha-2" });
    const rotatedAt = Date.now();
    replaceCreds(env, "alpha", fresh.creds);
    await during(
      waitUntil(async () => accountState(await probe(), "alpha")?.state === "running", {
        timeoutMs: 30_000,
        intervalMs: 100,
        message: "alpha running with its new creds",
      }),
    );
    const runningAfterMs = Date.now() - rotatedAt;
    await during(
      waitUntil(
        async () =>
          tagged(env.receiver.requests, "alpha", "revoked").length >= count &&
          (await drained(alpha.jsm)) &&
          (await drained(beta.jsm)),
        { timeoutMs: 30_000, intervalMs: 100, message: "alpha's backlog delivered and acked" },
      ),
    );
    const deliveredAfterMs = Date.now() - rotatedAt;
    assert.equal((await probe()).status, 200);

    for (const account of ["alpha", "beta"]) {
      for (const tag of ["before", "revoked"]) {
        const events = new Set(
          tagged(env.receiver.requests, account, tag).map(
            (r) => (JSON.parse(r.text) as { i: number }).i,
          ),
        );
        assert.equal(events.size, count, `${account} ${tag}: every event arrived`);
      }
    }
    const ids = webhookIds(env.receiver.requests);
    assert.equal(ids.size, 4 * count);
    t.diagnostic(
      `revoked creds: alpha waiting ${String(waitingAfterMs)} ms after the revocation ` +
        `(reason: "${reason}"); running ${String(runningAfterMs)} ms after its creds file was ` +
        `replaced; its ${String(count)} events held back meanwhile all delivered ` +
        `${String(deliveredAfterMs)} ms after; ` +
        `${String(env.receiver.requests.length - ids.size)} duplicates; alpha's states: ` +
        alphaStates.join(" -> "),
    );
  },
);
