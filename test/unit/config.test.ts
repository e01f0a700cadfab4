import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { ConfigError, loadConfig, parseDuration } from "../../src/config/index.js";
import { DurationError } from "../../src/config/duration.js";
import { ENV_ACCOUNT as ENV_ACCOUNT_VARS, ENV_KEYS } from "../../src/config/env.js";

const dir = mkdtempSync(join(tmpdir(), "streamhook-config-"));
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

let files = 0;
function yamlFile(text: string): string {
  const path = join(dir, `config-${++files}.yaml`);
  writeFileSync(path, text);
  return path;
}

const SECRET = "whsec_dGhpcyBpcyBhIHRlc3Qgc2VjcmV0IGtleSE=";
const ENV_ACCOUNT = {
  STREAMHOOK_STREAM: "EVENTS",
  STREAMHOOK_CONSUMER: "hook",
  STREAMHOOK_WEBHOOK_URL: "http://127.0.0.1:9000/hooks",
};

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return error;
  }
  assert.fail("expected a ConfigError");
}

describe("parseDuration", () => {
  test("reads milliseconds and unit strings", () => {
    assert.equal(parseDuration(1500), 1500);
    assert.equal(parseDuration("1500"), 1500);
    assert.equal(parseDuration("250ms"), 250);
    assert.equal(parseDuration("30s"), 30_000);
    assert.equal(parseDuration("5m"), 300_000);
    assert.equal(parseDuration("1h"), 3_600_000);
    assert.equal(parseDuration("1m30s"), 90_000);
  });

  test("rejects anything else", () => {
    for (const bad of ["", "5x", "s", "-1s", "1.5", -3, 1.5, true, null]) {
      assert.throws(() => parseDuration(bad), DurationError, String(bad));
    }
  });
});

describe("loadConfig", () => {
  test("one account from the environment alone, with the defaults of the contract", () => {
    const config = loadConfig({
      env: { ...ENV_ACCOUNT, STREAMHOOK_TENANT_ID: "acme", STREAMHOOK_CREDENTIALS_FILE: "a.creds" },
      cwd: dir,
    });
    assert.equal(config.accounts.length, 1);
    const account = config.accounts[0];
    assert.ok(account);
    assert.equal(account.name, "default");
    assert.equal(account.source, "env");
    assert.equal(account.tenantId, "acme");
    assert.equal(account.credentialsFile, join(dir, "a.creds"));
    assert.deepEqual(account.servers, ["nats://127.0.0.1:4222"]);
    assert.equal(account.webhook.timeoutMs, 10_000);
    assert.equal(account.webhook.body, "payload");
    assert.equal(account.webhook.tenantField, "tenant_id");
    assert.equal(account.webhook.maxConnections, 32);
    assert.deepEqual(account.delivery, {
      maxAttempts: 10,
      backoffMs: [1_000, 5_000, 30_000, 120_000, 600_000, 1_800_000, 3_600_000],
      accountConcurrency: 32,
      terminalStatuses: [400, 410, 413, 415, 422],
    });
    assert.equal(config.delivery.concurrency, 64);
    assert.equal(config.delivery.pullBatch, 256);
    assert.equal(config.delivery.queueCapacity, 1024);
    assert.equal(config.shutdownTimeoutMs, 25_000);
    assert.deepEqual(config.http.listen, { host: "0.0.0.0", port: 8080 });
    assert.deepEqual(config.log, { level: "info", format: "json" });
  });

  test("environment variables override YAML, and YAML overrides defaults", () => {
    const file = yamlFile(`
webhook:
  url: http://from-yaml/hook
  timeout: 2s
delivery:
  max_attempts: 3
  backoff: [100ms, 1s]
accounts:
  - { name: a, stream: S, consumer: C }
`);
    const config = loadConfig({
      file,
      env: { STREAMHOOK_DELIVERY_MAX_ATTEMPTS: "7", STREAMHOOK_DELIVERY_BACKOFF: "2s, 3s" },
    });
    assert.equal(config.webhook.url, "http://from-yaml/hook");
    assert.equal(config.webhook.timeoutMs, 2_000);
    assert.equal(config.delivery.maxAttempts, 7);
    assert.deepEqual(config.delivery.backoffMs, [2_000, 3_000]);
    assert.equal(config.accounts[0]?.delivery.maxAttempts, 7);
  });

  test("flags override the environment", () => {
    const config = loadConfig({
      env: { ...ENV_ACCOUNT, STREAMHOOK_LOG_LEVEL: "warn" },
      flags: { "log.level": "debug" },
    });
    assert.equal(config.log.level, "debug");
  });

  test("STREAMHOOK_CONFIG names the file when no flag does", () => {
    const file = yamlFile(
      "webhook: { url: http://x/y }\naccounts: [{ name: a, stream: S, consumer: C }]\n",
    );
    const config = loadConfig({ env: { STREAMHOOK_CONFIG: file } });
    assert.equal(config.configFile, file);
  });

  test("${VAR} and ${VAR:-default} are replaced from the environment", () => {
    const file = yamlFile(`
webhook:
  url: \${HOOK_URL}
  secret: \${HOOK_SECRET}
  tenant_field: \${FIELD:-tenant}
accounts: [{ name: a, stream: S, consumer: C }]
`);
    const config = loadConfig({ file, env: { HOOK_URL: "http://h/x", HOOK_SECRET: SECRET } });
    assert.equal(config.webhook.url, "http://h/x");
    assert.equal(config.webhook.secret, SECRET);
    assert.equal(config.webhook.tenantField, "tenant");
  });

  test("a variable without a value or default is an error with file and line", () => {
    const file = yamlFile("webhook:\n  url: http://h/x\n  secret: ${NOT_SET_ANYWHERE}\n");
    const error = configError(() => loadConfig({ file, env: {} }));
    assert.match(error.message, new RegExp(`${file}:3`));
    assert.match(error.message, /NOT_SET_ANYWHERE/);
  });

  test("unknown keys and wrong types name the key and the file line", () => {
    const file = yamlFile(`webhook:
  url: http://h/x
  retries: 3
delivery:
  concurrency: lots
accounts: [{ name: a, stream: S, consumer: C }]
`);
    const error = configError(() => loadConfig({ file, env: {} }));
    const byKey = new Map(error.issues.map((i) => [i.key, i]));
    assert.equal(byKey.get("webhook.retries")?.source, `${file}:3`);
    assert.match(byKey.get("webhook.retries")?.message ?? "", /unknown key/);
    assert.equal(byKey.get("delivery.concurrency")?.source, `${file}:5`);
  });

  test("a wrong value from the environment names the variable", () => {
    const error = configError(() =>
      loadConfig({ env: { ...ENV_ACCOUNT, STREAMHOOK_WEBHOOK_TIMEOUT: "soon" } }),
    );
    assert.deepEqual(
      error.issues.map((i) => [i.key, i.source]),
      [["webhook.timeout", "env STREAMHOOK_WEBHOOK_TIMEOUT"]],
    );
  });

  test("a webhook URL is required unless every account has its own", () => {
    const missing = configError(() =>
      loadConfig({ env: { STREAMHOOK_STREAM: "S", STREAMHOOK_CONSUMER: "C" } }),
    );
    assert.equal(missing.issues[0]?.key, "accounts[0].webhook.url");
    const file = yamlFile(`accounts:
  - { name: a, stream: S, consumer: C, webhook: { url: "http://a/hook" } }
`);
    assert.equal(loadConfig({ file, env: {} }).accounts[0]?.webhook.url, "http://a/hook");
  });

  test("no accounts at all, and no accounts directory, is an error", () => {
    const error = configError(() => loadConfig({ env: { STREAMHOOK_WEBHOOK_URL: "http://h/x" } }));
    assert.equal(error.issues[0]?.key, "accounts");
    const config = loadConfig({ env: { STREAMHOOK_ACCOUNTS_DIR: dir }, cwd: dir });
    assert.equal(config.accountsDir, dir);
  });

  test("accounts override global settings; headers merge", () => {
    const file = yamlFile(`
webhook:
  url: http://global/hook
  headers: { x-a: global, x-b: global }
  timeout: 5s
accounts:
  - name: a
    stream: S
    consumer: C
    servers: [nats://other:4222]
    credentials_file: creds/a.creds
    webhook: { headers: { x-b: account }, body: envelope }
    delivery: { max_attempts: 2, backoff: [1s] }
    dlq_subject: dlq.a
    paused: true
`);
    const account = loadConfig({ file, env: {} }).accounts[0];
    assert.ok(account);
    assert.deepEqual(account.servers, ["nats://other:4222"]);
    assert.equal(account.credentialsFile, join(dir, "creds/a.creds"), "relative to the YAML file");
    assert.deepEqual(account.webhook.headers, { "x-a": "global", "x-b": "account" });
    assert.equal(account.webhook.body, "envelope");
    assert.equal(account.webhook.timeoutMs, 5_000);
    assert.equal(account.delivery.maxAttempts, 2);
    assert.deepEqual(account.delivery.backoffMs, [1_000]);
    assert.equal(account.dlqSubject, "dlq.a");
    assert.equal(account.paused, true);
  });

  test("account names are checked and unique", () => {
    const file = yamlFile(`webhook: { url: http://h/x }
accounts:
  - { name: "bad name", stream: S, consumer: C }
  - { name: ok, stream: S, consumer: C }
  - { name: ok, stream: S, consumer: C }
`);
    const error = configError(() => loadConfig({ file, env: {} }));
    assert.deepEqual(
      error.issues.map((i) => i.key),
      ["accounts[0].name"],
    );
    const dup = yamlFile(`webhook: { url: http://h/x }
accounts:
  - { name: ok, stream: S, consumer: C }
  - { name: ok, stream: S, consumer: C }
`);
    const dupError = configError(() => loadConfig({ file: dup, env: {} }));
    assert.match(dupError.message, /accounts\[1\]\.name .*duplicate/);
  });

  test("a secret that is not whsec_<base64> is refused without echoing it", () => {
    const error = configError(() =>
      loadConfig({ env: { ...ENV_ACCOUNT, STREAMHOOK_WEBHOOK_SECRET: "hunter2-plain-secret" } }),
    );
    assert.match(error.message, /webhook\.secret \(env STREAMHOOK_WEBHOOK_SECRET\)/);
    assert.ok(!error.message.includes("hunter2"));
  });

  test("headers from the environment are a JSON object", () => {
    const config = loadConfig({
      env: { ...ENV_ACCOUNT, STREAMHOOK_WEBHOOK_HEADERS: '{"x-api-key":"k"}' },
    });
    assert.deepEqual(config.webhook.headers, { "x-api-key": "k" });
    const error = configError(() =>
      loadConfig({ env: { ...ENV_ACCOUNT, STREAMHOOK_WEBHOOK_HEADERS: "x-api-key: k" } }),
    );
    assert.equal(error.issues[0]?.source, "env STREAMHOOK_WEBHOOK_HEADERS");
  });

  test("http.listen takes host:port or off", () => {
    assert.equal(
      loadConfig({ env: { ...ENV_ACCOUNT, STREAMHOOK_HTTP_LISTEN: "off" } }).http.listen,
      undefined,
    );
    assert.deepEqual(
      loadConfig({ env: { ...ENV_ACCOUNT, STREAMHOOK_HTTP_LISTEN: "127.0.0.1:9090" } }).http.listen,
      { host: "127.0.0.1", port: 9090 },
    );
  });

  test("the example configuration and .env.example load and validate", () => {
    const root = fileURLToPath(new URL("../..", import.meta.url));
    const config = loadConfig({
      file: join(root, "config", "streamhook.example.yaml"),
      env: { STREAMHOOK_WEBHOOK_SECRET: SECRET },
    });
    assert.deepEqual(
      config.accounts.map((a) => a.name),
      ["acme", "globex"],
    );
    assert.equal(config.accounts[1]?.webhook.url, "https://globex.example.com/hooks/nats");

    const env: Record<string, string> = {};
    for (const line of readFileSync(join(root, ".env.example"), "utf8").split("\n")) {
      const match = /^#?\s*(STREAMHOOK_[A-Z_]+)=(.*)$/.exec(line);
      if (match?.[1] !== undefined && match[1] !== "STREAMHOOK_CONFIG")
        env[match[1]] = match[2] ?? "";
    }
    for (const name of [...Object.keys(ENV_KEYS), ...Object.keys(ENV_ACCOUNT_VARS)]) {
      assert.ok(name in env, `.env.example lists ${name}`);
    }
    // Every listed value, commented or not, must be accepted as it stands.
    const fromEnv = loadConfig({ env, cwd: dir });
    assert.equal(fromEnv.accounts[0]?.name, "default");
  });
});
