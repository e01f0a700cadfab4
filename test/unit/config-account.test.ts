import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { deriveAccountSecret } from "../../src/delivery/signing.js";
import {
  accountDefaults,
  ConfigError,
  loadConfig,
  parseAccountFile,
  parseAccountText,
  type AccountDefaults,
} from "../../src/config/index.js";

const root = mkdtempSync(join(tmpdir(), "streamhook-accounts-"));
after(() => {
  rmSync(root, { recursive: true, force: true });
});

function globals(env: NodeJS.ProcessEnv = {}): AccountDefaults {
  return accountDefaults(
    loadConfig({
      env: {
        STREAMHOOK_ACCOUNTS_DIR: root,
        STREAMHOOK_WEBHOOK_URL: "https://global.example.com/hook",
        STREAMHOOK_WEBHOOK_HEADERS: '{"x-a":"global","x-b":"global"}',
        STREAMHOOK_DLQ_SUBJECT: "dlq.{account}",
        ...env,
      },
      cwd: root,
    }),
  );
}

function accountDir(name: string, meta: string, files: Record<string, string> = {}): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "meta.yaml"), meta);
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
  return join(dir, "meta.yaml");
}

function issuesOf(fn: () => unknown): [string, string, string][] {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return error.issues.map((i) => [i.key, i.source, i.message]);
  }
  assert.fail("expected a ConfigError");
}

describe("parseAccountFile", () => {
  test("a directory account inherits the globals, merges headers and uses user.creds", () => {
    const path = accountDir(
      "acme",
      `stream: ORDERS
consumer: webhook
tenant_id: acme
webhook:
  headers: { x-b: acme }
  timeout: 3s
delivery: { max_attempts: 4 }
`,
      { "user.creds": "creds" },
    );
    const account = parseAccountFile(path, globals());
    assert.equal(account.name, "acme");
    assert.equal(account.source, "directory");
    assert.equal(account.stream, "ORDERS");
    assert.equal(account.consumer, "webhook");
    assert.equal(account.tenantId, "acme");
    assert.equal(account.credentialsFile, join(root, "acme", "user.creds"));
    assert.equal(account.webhook.url, "https://global.example.com/hook");
    assert.deepEqual(account.webhook.headers, { "x-a": "global", "x-b": "acme" });
    assert.equal(account.webhook.timeout, 3_000);
    assert.equal(account.delivery.maxAttempts, 4);
    assert.equal(account.delivery.accountConcurrency, 32);
    assert.equal(account.dlqSubject, "dlq.{account}");
    assert.equal(account.paused, false);
  });

  test("user.creds is used only when it exists and no other credentials are named", () => {
    const none = accountDir("bare", "stream: S\nconsumer: C\n");
    assert.equal(parseAccountFile(none, globals()).credentialsFile, undefined);

    const named = accountDir("named", "stream: S\nconsumer: C\ncredentials_file: x.creds\n", {
      "user.creds": "creds",
    });
    assert.equal(
      parseAccountFile(named, globals()).credentialsFile,
      join(root, "named", "x.creds"),
    );

    const token = accountDir("token", "stream: S\nconsumer: C\ntoken: t0k3n\n", {
      "user.creds": "creds",
    });
    const account = parseAccountFile(token, globals());
    assert.equal(account.credentialsFile, undefined);
    assert.equal(account.token, "t0k3n");
  });

  test("a name in meta.yaml must match the directory", () => {
    const path = accountDir("globex", "stream: S\nconsumer: C\nname: initech\n");
    assert.deepEqual(
      issuesOf(() => parseAccountFile(path, globals())),
      [["name", `${path}:3`, '"initech" does not match the directory name "globex"']],
    );
    const same = accountDir("same", "name: same\nstream: S\nconsumer: C\n");
    assert.equal(parseAccountFile(same, globals()).name, "same");
  });

  test("every problem names meta.yaml and its line", () => {
    const path = accountDir(
      "broken",
      `stream: S
webhook:
  url: ftp://nope
  bogus_key: 1
delivery:
  max_attempts: 0
`,
    );
    assert.deepEqual(
      issuesOf(() => parseAccountFile(path, globals())),
      [
        ["webhook.url", `${path}:3`, "expected an http:// or https:// URL"],
        ["webhook.bogus_key", `${path}:4`, "unknown key"],
        ["delivery.max_attempts", `${path}:6`, "expected a positive integer"],
        ["consumer", path, "required"],
      ],
    );
  });

  test("without a global webhook URL, an account without its own is invalid", () => {
    const path = accountDir("nourl", "stream: S\nconsumer: C\n");
    const issues = issuesOf(() => parseAccountFile(path, globals({ STREAMHOOK_WEBHOOK_URL: "" })));
    assert.equal(issues.length, 1);
    assert.equal(issues[0]?.[0], "webhook.url");
    assert.equal(issues[0][1], path);

    const own = accountDir("ownurl", "stream: S\nconsumer: C\nwebhook: { url: 'http://own/x' }\n");
    const account = parseAccountFile(own, globals({ STREAMHOOK_WEBHOOK_URL: "" }));
    assert.equal(account.webhook.url, "http://own/x");
  });

  test("meta.yaml never reads the environment: a ${VAR} is an error naming file and line", () => {
    const path = accountDir(
      "interp",
      "stream: S\nconsumer: C\nwebhook:\n  url: 'https://x.example.com/${AWS_SECRET_ACCESS_KEY}'\n",
    );
    assert.throws(
      () => parseAccountFile(path, globals()),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.issues.length === 1 &&
        error.issues[0]?.key === "webhook.url" &&
        error.issues[0].source === `${path}:4` &&
        /\$\{AWS_SECRET_ACCESS_KEY\} is not replaced here/.test(error.issues[0].message),
    );
    // A literal `${` written as `$${` is still fine.
    const literal = accountDir("literal", "stream: S\nconsumer: C\ntenant_id: 'a$${b}'\n");
    assert.equal(parseAccountFile(literal, globals()).tenantId, "a${b}");
  });

  test("an unreadable meta.yaml is a ConfigError with its cause", () => {
    const path = join(root, "missing", "meta.yaml");
    assert.throws(
      () => parseAccountFile(path, globals()),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.issues[0]?.source === path &&
        /ENOENT/.test(error.message) &&
        error.cause instanceof Error,
    );
  });

  test("parseAccountText takes the text already read", () => {
    const path = join(root, "text", "meta.yaml");
    const account = parseAccountText("stream: S\nconsumer: C\npaused: true\n", path, globals());
    assert.equal(account.name, "text");
    assert.equal(account.paused, true);
  });
});

test("an account cannot widen the global network settings", () => {
  const path = join(root, "mallory", "meta.yaml");
  for (const key of ["allowed_hosts", "allowed_networks"]) {
    const text = `stream: S\nconsumer: C\nwebhook:\n  ${key}: ["0.0.0.0/0"]\n`;
    assert.throws(
      () => parseAccountText(text, path, globals()),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.issues.some(
          (issue) =>
            issue.key === `webhook.${key}` &&
            issue.source.endsWith("meta.yaml:4") &&
            /global only/.test(issue.message),
        ),
    );
  }
});

test("a directory account's credentials_file must stay inside its directory, symlinks followed", () => {
  mkdirSync(join(root, "globex"), { recursive: true });
  writeFileSync(join(root, "globex", "user.creds"), "globex's creds");
  const refused = [
    "../globex/user.creds",
    join(root, "globex", "user.creds"),
    "/etc/passwd",
    "link.creds",
  ];
  for (const file of refused) {
    const dir = join(root, "mallory");
    mkdirSync(dir, { recursive: true });
    rmSync(join(dir, "link.creds"), { force: true });
    symlinkSync(join(root, "globex", "user.creds"), join(dir, "link.creds"));
    writeFileSync(join(dir, "meta.yaml"), `stream: S\nconsumer: C\ncredentials_file: ${file}\n`);
    assert.throws(
      () => parseAccountFile(join(dir, "meta.yaml"), globals()),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.issues.some(
          (i) =>
            i.key === "credentials_file" &&
            i.source.endsWith("mallory/meta.yaml:3") &&
            /inside the account's directory/.test(i.message),
        ),
      file,
    );
  }
  // A link that stays inside (how Kubernetes projects secrets: user.creds -> ..data/user.creds).
  const dir = join(root, "projected");
  mkdirSync(join(dir, "..data"), { recursive: true });
  writeFileSync(join(dir, "..data", "user.creds"), "creds");
  symlinkSync(join("..data", "user.creds"), join(dir, "user.creds"));
  writeFileSync(join(dir, "meta.yaml"), "stream: S\nconsumer: C\n");
  assert.equal(
    parseAccountFile(join(dir, "meta.yaml"), globals()).credentialsFile,
    join(dir, "user.creds"),
  );

  // A projected volume whose items have paths (acme/user.creds): the account directory itself is
  // a link into the volume's timestamped copy, and its files are inside that copy.
  const volume = join(root, "volume");
  mkdirSync(join(volume, "..2026_12_06", "acme"), { recursive: true });
  writeFileSync(join(volume, "..2026_12_06", "acme", "user.creds"), "creds");
  writeFileSync(join(volume, "..2026_12_06", "acme", "meta.yaml"), "stream: S\nconsumer: C\n");
  symlinkSync("..2026_12_06", join(volume, "..data"));
  symlinkSync(join("..data", "acme"), join(volume, "acme"));
  const projected = parseAccountFile(join(volume, "acme", "meta.yaml"), globals());
  assert.equal(projected.credentialsFile, join(volume, "acme", "user.creds"));
});

test("an account directory's files must be regular files of at most 1 MiB, read without blocking", () => {
  const dir = join(root, "special");
  mkdirSync(dir, { recursive: true });
  const meta = join(dir, "meta.yaml");
  execFileSync("mkfifo", [meta]);
  // A FIFO with no writer: a plain read would wait forever.
  assert.throws(() => parseAccountFile(meta, globals()), /cannot read: not a regular file/);
  rmSync(meta);
  symlinkSync("/dev/zero", meta);
  assert.throws(() => parseAccountFile(meta, globals()), /cannot read: not a regular file/);
  rmSync(meta);
  writeFileSync(meta, `stream: S\nconsumer: C\n# ${"x".repeat(1024 * 1024)}\n`);
  assert.throws(() => parseAccountFile(meta, globals()), /cannot read: \d+ bytes, over the limit/);
});

test("an account's own previous_secret keeps signing beside the key that signs now", () => {
  const global = "whsec_Z2xvYmFsIHNlY3JldCBmb3IgdGhlIHRlc3Q=";
  const own = "whsec_dGhlIGFjY291bnQncyBvbGQga2V5IGZvciB0ZXN0cw==";
  const defaults = globals({ STREAMHOOK_WEBHOOK_SECRET: global });
  const onGlobalUrl = parseAccountText(
    `stream: S\nconsumer: C\nwebhook: { previous_secret: "${own}" }\n`,
    join(root, "rotating", "meta.yaml"),
    defaults,
  );
  assert.equal(onGlobalUrl.secretSource, "global");
  assert.equal(onGlobalUrl.webhook.secret, global);
  assert.equal(onGlobalUrl.webhook.previousSecret, own);
  const withOwnUrl = parseAccountText(
    `stream: S\nconsumer: C\nwebhook: { url: "https://own.example.com/h", previous_secret: "${own}" }\n`,
    join(root, "moving", "meta.yaml"),
    defaults,
  );
  assert.equal(withOwnUrl.secretSource, "derived");
  assert.equal(withOwnUrl.webhook.secret, deriveAccountSecret(global, "moving"));
  assert.equal(withOwnUrl.webhook.previousSecret, own);
});
