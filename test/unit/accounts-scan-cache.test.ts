import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { createUser } from "@nats-io/nkeys";
import { scanAccountsDir, type ScanCache } from "../../src/accounts/directory.js";
import { accountDefaults, loadConfig } from "../../src/config/index.js";

const root = mkdtempSync(join(tmpdir(), "streamhook-scan-"));
after(() => {
  rmSync(root, { recursive: true, force: true });
});

const defaults = accountDefaults(
  loadConfig({ env: { STREAMHOOK_ACCOUNTS_DIR: root, STREAMHOOK_WEBHOOK_URL: "http://r/h" } }),
);

function creds(): string {
  const seed = new TextDecoder().decode(createUser().getSeed());
  return (
    "-----BEGIN NATS USER JWT-----\naaa.bbb.ccc\n------END NATS USER JWT------\n\n" +
    `-----BEGIN USER NKEY SEED-----\n${seed}\n------END USER NKEY SEED------\n`
  );
}

describe("accounts scan cache", () => {
  test("a rescan reuses unchanged accounts and rereads changed files", () => {
    const cache: ScanCache = new Map();
    for (const name of ["a", "b"]) {
      mkdirSync(join(root, name));
      writeFileSync(join(root, name, "meta.yaml"), "stream: S\nconsumer: C\n");
      writeFileSync(join(root, name, "user.creds"), creds());
    }
    const first = scanAccountsDir(root, defaults, cache);
    assert.deepEqual(
      first.accounts.map((a) => a.ok),
      [true, true],
    );
    const second = scanAccountsDir(root, defaults, cache);
    // The very same objects: nothing was read or parsed again.
    assert.equal(second.accounts[0], first.accounts[0]);
    assert.equal(second.accounts[1], first.accounts[1]);

    writeFileSync(join(root, "a", "meta.yaml"), "stream: S2\nconsumer: C\n");
    writeFileSync(join(root, "b", "user.creds"), creds());
    const third = scanAccountsDir(root, defaults, cache);
    const [a, b] = third.accounts;
    assert.ok(a?.ok === true && b?.ok === true);
    assert.equal(a.account.stream, "S2");
    assert.ok(first.accounts[1]?.ok === true);
    assert.notEqual(b.fingerprint, first.accounts[1].fingerprint, "new creds, new fingerprint");

    rmSync(join(root, "b"), { recursive: true });
    scanAccountsDir(root, defaults, cache);
    assert.deepEqual([...cache.keys()], [join(root, "a")], "a removed account is forgotten");
  });

  test("a creds file that appears later is noticed though meta.yaml did not change", () => {
    const cache: ScanCache = new Map();
    mkdirSync(join(root, "late"));
    writeFileSync(join(root, "late", "meta.yaml"), "stream: S\nconsumer: C\n");
    const before = scanAccountsDir(root, defaults, cache).accounts.find((x) => x.name === "late");
    assert.ok(before?.ok === true);
    assert.equal(before.account.credentialsFile, undefined);
    writeFileSync(join(root, "late", "user.creds"), creds());
    const after = scanAccountsDir(root, defaults, cache).accounts.find((x) => x.name === "late");
    assert.ok(after?.ok === true);
    assert.equal(after.account.credentialsFile, join(root, "late", "user.creds"));
  });
});
