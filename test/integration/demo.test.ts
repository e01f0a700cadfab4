import assert from "node:assert/strict";
import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { runCli, type CliRun } from "../helpers/cli-process.js";

/** The demo finds nats-server the way the tests do; nothing else of this environment leaks in. */
const env: Record<string, string> =
  process.env.NATS_SERVER_BIN === undefined ? {} : { NATS_SERVER_BIN: process.env.NATS_SERVER_BIN };

const workingDir = (stdout: string): string => {
  const match = /working directory (\S+)/.exec(stdout);
  assert.ok(match?.[1], `the demo names its working directory:\n${stdout}`);
  return match[1];
};

async function demo(args: string[]): Promise<{ code: number | null; run: CliRun }> {
  const run = runCli(["demo", ...args], env);
  runs.push(run);
  const code = await run.exit;
  return { code, run };
}

const runs: CliRun[] = [];
const kept: string[] = [];

describe("streamhook demo", () => {
  after(async () => {
    for (const run of runs) await run.kill();
    for (const dir of kept) rmSync(dir, { recursive: true, force: true });
  });

  test("exits 0 with every event as expected, and removes its directory", async () => {
    const started = Date.now();
    const { code, run } = await demo([]);
    const out = run.stdout();
    assert.equal(code, 0, `stdout:\n${out}\nstderr:\n${run.stderr()}`);
    assert.ok(Date.now() - started < 30_000, "the demo stays well under 30 s");
    assert.match(out, /✓ all 10 events came out as expected\./);
    for (const tenant of ["tenant-acme", "tenant-globex"]) {
      // published, accepted, failed attempts, dead-lettered, signatures, own tenant_id
      assert.match(out, new RegExp(`${tenant}\\s+5\\s+4\\s+1\\s+1\\s+5/5 ✓\\s+4/4 ✓`));
    }
    assert.match(out, /✓ spoofed tenant_id replaced by the account's own: 2 of 2/);
    assert.match(out, /✓ refused once \(503\), accepted on attempt 2: 2 of 2/);
    assert.match(out, /✓ malformed payloads dead-lettered with reason malformed_payload: 2 of 2/);
    assert.match(out, /✓ tenant-acme +order\.shipped +attempt 2 +→ 200 +signature ✓/);
    assert.match(out, /dead-lettered events\.invoice\.voided → dlq\.globex/);
    assert.doesNotMatch(out, /✗/);
    assert.equal(existsSync(workingDir(out)), false, "the working directory is removed");
  });

  test("without a usable nats-server it says how to get one and exits non-zero", async () => {
    const run = runCli(["demo"], { NATS_SERVER_BIN: join("/nonexistent", "nats-server") });
    runs.push(run);
    assert.equal(await run.exit, 1);
    assert.match(run.stderr(), /apt-get install -y nats-server/);
    assert.match(run.stderr(), /demo: the demo needs nats-server/);
    assert.doesNotMatch(run.stdout(), /working directory/);
  });

  test("--keep keeps the accounts directory, configuration and store, and says where", async () => {
    const { code, run } = await demo(["--keep"]);
    const out = run.stdout();
    const dir = workingDir(out);
    kept.push(dir);
    assert.equal(code, 0, `stdout:\n${out}\nstderr:\n${run.stderr()}`);
    assert.ok(out.includes(`Kept ${dir}:`), out);
    for (const file of [
      "streamhook.yaml",
      "nats.conf",
      "nats-store",
      join("accounts", "acme", "meta.yaml"),
      join("accounts", "acme", "user.creds"),
      join("accounts", "globex", "meta.yaml"),
      join("accounts", "globex", "user.creds"),
    ]) {
      assert.ok(existsSync(join(dir, file)), `${file} is kept`);
    }
  });
});
