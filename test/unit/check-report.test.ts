import assert from "node:assert/strict";
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { consumerWarnings } from "../../src/check/consumer-warnings.js";
import { checkCredsFile } from "../../src/check/creds-file.js";
import { formatDuration } from "../../src/check/duration-text.js";
import { formatText, toJson } from "../../src/check/report.js";
import { exitCodeOf, type AccountCheck, type CheckResult } from "../../src/check/result.js";
import { collectTargets } from "../../src/check/targets.js";
import { loadConfig } from "../../src/config/index.js";
import { tempDir } from "../helpers/fixtures.js";

const NANOS_PER_MS = 1_000_000;
const account = { delivery: { maxAttempts: 10 }, webhook: { timeout: 10_000 } } as Parameters<
  typeof consumerWarnings
>[1];

describe("check: consumer warnings", () => {
  const longAckWait = 30_000 * NANOS_PER_MS;

  test("max_deliver must be above max_attempts; -1 and 0 mean unlimited", () => {
    const warns = (max_deliver: number | undefined): number =>
      consumerWarnings({ max_deliver, ack_wait: longAckWait }, account).length;
    assert.equal(warns(10), 1);
    assert.equal(warns(3), 1);
    assert.equal(warns(11), 0);
    assert.equal(warns(-1), 0);
    assert.equal(warns(0), 0);
    assert.equal(warns(undefined), 0);
  });

  test("ack_wait shorter than webhook.timeout warns; equal does not", () => {
    const [warning] = consumerWarnings(
      { max_deliver: -1, ack_wait: 9_999 * NANOS_PER_MS },
      account,
    );
    assert.match(warning ?? "", /ack_wait \(9\.999s\) is shorter than webhook\.timeout \(10s\)/);
    assert.deepEqual(
      consumerWarnings({ max_deliver: -1, ack_wait: 10_000 * NANOS_PER_MS }, account),
      [],
    );
  });

  test("durations read as the configuration writes them", () => {
    assert.equal(formatDuration(250), "250ms");
    assert.equal(formatDuration(1_500), "1.5s");
    assert.equal(formatDuration(30_000), "30s");
    assert.equal(formatDuration(120_000), "2m");
    assert.equal(formatDuration(3_600_000), "1h");
  });
});

describe("check: creds files", () => {
  const dir = tempDir();
  after(() => {
    dir.remove();
  });
  const creds = (name: string, text: string, mode: number): string => {
    const path = join(dir.path, name);
    writeFileSync(path, text);
    chmodSync(path, mode);
    return path;
  };
  // Shape only: checkCredsFile parses, the server would judge the signature.
  const valid =
    "-----BEGIN NATS USER JWT-----\naaa.bbb.ccc\n------END NATS USER JWT------\n\n" +
    "-----BEGIN USER NKEY SEED-----\nSUAAAA\n------END USER NKEY SEED------\n";

  test("owner-only is quiet; readable by group or others warns", async () => {
    assert.deepEqual(await checkCredsFile(creds("private.creds", valid, 0o600)), {
      error: undefined,
      warnings: [],
    });
    const group = await checkCredsFile(creds("group.creds", valid, 0o640));
    assert.equal(group.error, undefined);
    assert.match(group.warnings[0] ?? "", /readable by group or others \(mode 0640\)/);
    const others = await checkCredsFile(creds("others.creds", valid, 0o604));
    assert.equal(others.warnings.length, 1);
  });

  test("a malformed or missing file is an error naming the path, never its content", async () => {
    const path = creds("bad.creds", "SUSECRETSEEDVALUE", 0o600);
    const bad = await checkCredsFile(path);
    assert.match(bad.error ?? "", new RegExp(`^${path}: not a NATS user credentials file`));
    assert.doesNotMatch(bad.error ?? "", /SUSECRET/);
    const missing = await checkCredsFile(join(dir.path, "none.creds"));
    assert.match(missing.error ?? "", /none\.creds: cannot read creds file: ENOENT$/);
  });
});

describe("check: which accounts", () => {
  const dir = tempDir();
  after(() => {
    dir.remove();
  });
  const base = { STREAMHOOK_WEBHOOK_URL: "http://127.0.0.1:9/hook" };

  test("a missing accounts directory and no accounts at all are warnings", () => {
    const root = join(dir.path, "absent");
    const config = loadConfig({ env: { ...base, STREAMHOOK_ACCOUNTS_DIR: root } });
    const { targets, warnings } = collectTargets(config);
    assert.deepEqual(targets, []);
    assert.equal(warnings.length, 2);
    assert.match(warnings[0] ?? "", /accounts_dir .*absent does not exist/);
    assert.match(warnings[1] ?? "", /^no accounts/);
  });

  test("a directory account with a static account's name is refused, as the daemon does", () => {
    const root = join(dir.path, "accounts");
    for (const name of ["default", "other"]) {
      mkdirSync(join(root, name), { recursive: true });
      writeFileSync(join(root, name, "meta.yaml"), "stream: S\nconsumer: C\n");
    }
    const config = loadConfig({
      env: {
        ...base,
        STREAMHOOK_ACCOUNTS_DIR: root,
        STREAMHOOK_STREAM: "S",
        STREAMHOOK_CONSUMER: "C",
      },
    });
    const { targets, warnings } = collectTargets(config);
    assert.deepEqual(warnings, []);
    assert.deepEqual(
      targets.map((t) =>
        t.kind === "account" ? `${t.account.source}:${t.account.name}` : `invalid:${t.check.name}`,
      ),
      ["env:default", "invalid:default", "directory:other"],
    );
    const refused = targets[1];
    assert.ok(refused?.kind === "invalid");
    assert.match(refused.check.reason ?? "", /refused: a static account has the same name/);
  });
});

describe("check: report", () => {
  const ok: AccountCheck = {
    name: "acme",
    source: "directory",
    tenantId: "t-acme",
    stream: "EVENTS",
    consumer: "webhook",
    paused: true,
    usable: true,
    reason: undefined,
    pending: 7,
    ackPending: 1,
    warnings: ["consumer ack_wait (2s) is shorter than webhook.timeout (10s)"],
  };
  const broken: AccountCheck = {
    ...ok,
    name: "a-much-longer-name",
    tenantId: undefined,
    paused: false,
    usable: false,
    reason: 'consumer "webhook" not found on stream "EVENTS"',
    pending: undefined,
    ackPending: undefined,
    warnings: [],
  };

  test("exit code 0 only when every account is usable", () => {
    assert.equal(exitCodeOf({ accounts: [ok], warnings: ["x"] }), 0);
    assert.equal(exitCodeOf({ accounts: [], warnings: [] }), 0);
    assert.equal(exitCodeOf({ accounts: [ok, broken], warnings: [] }), 1);
  });

  test("the table aligns columns and lists every warning with its account", () => {
    const result: CheckResult = { accounts: [ok, broken], warnings: ["global thing"] };
    assert.equal(
      formatText(result),
      [
        "ACCOUNT             TENANT  STREAM  CONSUMER  STATUS    DETAIL",
        "acme                t-acme  EVENTS  webhook   ok        pending 7, ack pending 1, paused",
        'a-much-longer-name  -       EVENTS  webhook   unusable  consumer "webhook" not found on stream "EVENTS"',
        "",
        "1 of 2 accounts usable",
        "",
        "Warnings:",
        "  global thing",
        "  acme: consumer ack_wait (2s) is shorter than webhook.timeout (10s)",
        "",
      ].join("\n"),
    );
  });

  test("JSON uses null for what is unknown and collects every warning", () => {
    const json = toJson({ accounts: [ok, broken], warnings: ["global thing"] });
    assert.equal(json.ok, false);
    assert.deepEqual(json.accounts[1], {
      name: "a-much-longer-name",
      source: "directory",
      tenant_id: null,
      stream: "EVENTS",
      consumer: "webhook",
      paused: false,
      usable: false,
      reason: 'consumer "webhook" not found on stream "EVENTS"',
      pending: null,
      ack_pending: null,
      warnings: [],
    });
    assert.deepEqual(json.warnings, [
      { account: null, message: "global thing" },
      { account: "acme", message: ok.warnings[0] },
    ]);
  });
});
