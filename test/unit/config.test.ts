import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { deriveAccountSecret } from "../../src/delivery/signing.js";
import {
  ConfigError,
  ENV_ACCOUNT,
  ENV_KEYS,
  loadConfig,
  type ConfigIssue,
} from "../../src/config/index.js";

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
const MINIMAL = {
  STREAMHOOK_STREAM: "EVENTS",
  STREAMHOOK_CONSUMER: "hook",
  STREAMHOOK_WEBHOOK_URL: "http://127.0.0.1:9000/hooks",
};
const ONE_ACCOUNT = "accounts: [{ name: a, stream: S, consumer: C }]\n";

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return error;
  }
  assert.fail("expected a ConfigError");
}

/** [key, source] of every issue, the shape most assertions need. */
function where(error: ConfigError): [string, string][] {
  return error.issues.map((i: ConfigIssue) => [i.key, i.source]);
}

describe("loadConfig: sources and defaults", () => {
  test("with nothing but one account from the environment, every default of the contract", () => {
    const config = loadConfig({ env: MINIMAL, cwd: dir });
    const { accounts, ...rest } = config;
    assert.deepEqual(rest, {
      nats: { servers: ["nats://127.0.0.1:4222"], tls: undefined },
      accountsDir: undefined,
      accountsRescanInterval: 30_000,
      webhook: {
        url: "http://127.0.0.1:9000/hooks",
        headers: {},
        timeout: 10_000,
        body: "payload",
        tenantField: "tenant_id",
        allowedHosts: [],
        allowedNetworks: [],
        maxConnections: 32,
        rateLimit: 0,
      },
      delivery: {
        concurrency: 64,
        accountConcurrency: 32,
        maxAttempts: 10,
        backoff: [1_000, 5_000, 30_000, 120_000, 600_000, 1_800_000, 3_600_000],
        maxRetryAfter: 3_600_000,
        terminalStatuses: [400, 413, 415, 422],
        pullBatch: 256,
        queueCapacity: 1024,
        queueBytes: 64 * 1024 * 1024,
        maxMessageBytes: 1024 * 1024,
      },
      breaker: { failureThreshold: 10, cooldown: 5_000, maxCooldown: 120_000 },
      dlq: { subject: undefined },
      events: { timeout: 5_000 },
      http: { listen: { host: "0.0.0.0", port: 8080 } },
      log: { level: "info", format: "json" },
      shutdownTimeout: 25_000,
      configFile: undefined,
    });
    assert.deepEqual(accounts, [
      {
        name: "default",
        source: "env",
        stream: "EVENTS",
        consumer: "hook",
        tenantId: undefined,
        credentialsFile: undefined,
        token: undefined,
        user: undefined,
        password: undefined,
        servers: ["nats://127.0.0.1:4222"],
        tls: undefined,
        webhook: rest.webhook,
        secretSource: "none",
        delivery: {
          maxAttempts: 10,
          backoff: [1_000, 5_000, 30_000, 120_000, 600_000, 1_800_000, 3_600_000],
          accountConcurrency: 32,
          terminalStatuses: [400, 413, 415, 422],
        },
        maxRetryAfter: 3_600_000,
        maxMessageBytes: 1024 * 1024,
        dlqSubject: undefined,
        paused: false,
      },
    ]);
  });

  test("YAML overrides defaults, the environment overrides YAML, flags override both", () => {
    const file = yamlFile(`
webhook:
  url: http://from-yaml/hook
  timeout: 2s
delivery:
  max_attempts: 3
  backoff: [100ms, 1s]
log:
  level: warn
  format: pretty
${ONE_ACCOUNT}`);
    const config = loadConfig({
      file,
      env: {
        STREAMHOOK_DELIVERY_MAX_ATTEMPTS: "7",
        STREAMHOOK_DELIVERY_BACKOFF: "2s, 3s",
        STREAMHOOK_LOG_LEVEL: "error",
      },
      flags: { "log.level": "debug" },
    });
    assert.equal(config.webhook.url, "http://from-yaml/hook");
    assert.equal(config.webhook.timeout, 2_000);
    assert.equal(config.webhook.body, "payload", "untouched keys keep their default");
    assert.equal(config.delivery.maxAttempts, 7);
    assert.deepEqual(config.delivery.backoff, [2_000, 3_000]);
    assert.equal(config.accounts[0]?.delivery.maxAttempts, 7, "accounts inherit the result");
    assert.deepEqual(config.log, { level: "debug", format: "pretty" });
  });

  test("list and map variables: servers, statuses and hosts comma-separated, headers JSON", () => {
    const config = loadConfig({
      env: {
        ...MINIMAL,
        STREAMHOOK_NATS_SERVERS: "nats://a:4222, nats://b:4222",
        STREAMHOOK_DELIVERY_TERMINAL_STATUSES: "400,404",
        STREAMHOOK_WEBHOOK_ALLOWED_HOSTS: "*.example.com,hooks.internal",
        STREAMHOOK_WEBHOOK_HEADERS: '{"x-api-key":"k"}',
      },
    });
    assert.deepEqual(config.nats.servers, ["nats://a:4222", "nats://b:4222"]);
    assert.deepEqual(config.accounts[0]?.servers, ["nats://a:4222", "nats://b:4222"]);
    assert.deepEqual(config.delivery.terminalStatuses, [400, 404]);
    assert.deepEqual(config.webhook.allowedHosts, ["*.example.com", "hooks.internal"]);
    assert.deepEqual(config.webhook.headers, { "x-api-key": "k" });
  });

  test("empty variables count as unset", () => {
    const config = loadConfig({
      env: { ...MINIMAL, STREAMHOOK_LOG_LEVEL: "", STREAMHOOK_TENANT_ID: "" },
    });
    assert.equal(config.log.level, "info");
    assert.equal(config.accounts[0]?.tenantId, undefined);
  });

  test("STREAMHOOK_CONFIG names the file when no flag does; --config wins over it", () => {
    const a = yamlFile(`webhook: { url: http://a/y }\n${ONE_ACCOUNT}`);
    const b = yamlFile(`webhook: { url: http://b/y }\n${ONE_ACCOUNT}`);
    const fromEnv = loadConfig({ env: { STREAMHOOK_CONFIG: a } });
    assert.equal(fromEnv.configFile, a);
    assert.equal(fromEnv.webhook.url, "http://a/y");
    assert.equal(loadConfig({ file: b, env: { STREAMHOOK_CONFIG: a } }).webhook.url, "http://b/y");
  });

  test("an unreadable file names the flag or variable that named it", () => {
    const missing = join(dir, "nope.yaml");
    assert.deepEqual(where(configError(() => loadConfig({ file: missing, env: {} }))), [
      ["config", "flag --config"],
    ]);
    const error = configError(() => loadConfig({ env: { STREAMHOOK_CONFIG: missing } }));
    assert.deepEqual(where(error), [["config", "env STREAMHOOK_CONFIG"]]);
    assert.match(error.message, /ENOENT/);
    assert.ok(error.cause instanceof Error);
  });

  test("${VAR} and ${VAR:-default} in YAML values come from the environment", () => {
    const file = yamlFile(`
webhook:
  url: \${HOOK_URL}
  secret: \${HOOK_SECRET}
  tenant_field: \${FIELD:-tenant}
delivery:
  max_attempts: \${ATTEMPTS:-4}
${ONE_ACCOUNT}`);
    const config = loadConfig({ file, env: { HOOK_URL: "http://h/x", HOOK_SECRET: SECRET } });
    assert.equal(config.webhook.url, "http://h/x");
    assert.equal(config.webhook.secret, SECRET);
    assert.equal(config.webhook.tenantField, "tenant");
    assert.equal(config.delivery.maxAttempts, 4);
  });

  test("a variable with neither value nor default is an error with key, file and line", () => {
    const file = yamlFile("webhook:\n  url: http://h/x\n  secret: ${NOT_SET_ANYWHERE}\n");
    const error = configError(() => loadConfig({ file, env: {} }));
    assert.deepEqual(where(error), [["webhook.secret", `${file}:3`]]);
    assert.match(error.message, /NOT_SET_ANYWHERE is not set/);
  });

  test("durations in YAML: milliseconds, units, combinations", () => {
    const file = yamlFile(`webhook: { url: http://h/x, timeout: 1500 }
breaker: { cooldown: 1m30s, max_cooldown: 1h }
shutdown_timeout: 250ms
accounts_rescan_interval: "45s"
${ONE_ACCOUNT}`);
    const config = loadConfig({ file, env: {} });
    assert.equal(config.webhook.timeout, 1_500);
    assert.equal(config.breaker.cooldown, 90_000);
    assert.equal(config.breaker.maxCooldown, 3_600_000);
    assert.equal(config.shutdownTimeout, 250);
    assert.equal(config.accountsRescanInterval, 45_000);
  });

  test("an empty section means its defaults", () => {
    const file = yamlFile(
      `webhook: { url: http://h/x }\ndlq:\n  # subject: x\nbreaker:\n${ONE_ACCOUNT}`,
    );
    const config = loadConfig({ file, env: {} });
    assert.equal(config.dlq.subject, undefined);
    assert.equal(config.breaker.failureThreshold, 10);
  });

  test("http.listen takes host:port, [v6]:port, :port or off", () => {
    const listen = (value: string) =>
      loadConfig({ env: { ...MINIMAL, STREAMHOOK_HTTP_LISTEN: value } }).http.listen;
    assert.equal(listen("off"), undefined);
    assert.deepEqual(listen("127.0.0.1:9090"), { host: "127.0.0.1", port: 9090 });
    assert.deepEqual(listen("[::1]:9090"), { host: "::1", port: 9090 });
    assert.deepEqual(listen(":9090"), { host: "0.0.0.0", port: 9090 });
    for (const bad of ["9090", "host:70000", "host:port", "on"]) {
      assert.deepEqual(
        where(configError(() => listen(bad))),
        [["http.listen", "env STREAMHOOK_HTTP_LISTEN"]],
        bad,
      );
    }
  });
});

describe("loadConfig: the account from the environment", () => {
  test("is named default, with credentials relative to the working directory", () => {
    const config = loadConfig({
      env: {
        ...MINIMAL,
        STREAMHOOK_TENANT_ID: "acme",
        STREAMHOOK_CREDENTIALS_FILE: "creds/a.creds",
      },
      cwd: dir,
    });
    assert.equal(config.accounts.length, 1);
    const account = config.accounts[0];
    assert.equal(account?.name, "default");
    assert.equal(account.source, "env");
    assert.equal(account.tenantId, "acme");
    assert.equal(account.credentialsFile, join(dir, "creds", "a.creds"));
  });

  test("takes a token, or a user and password, instead of a creds file", () => {
    const token = loadConfig({ env: { ...MINIMAL, STREAMHOOK_NATS_TOKEN: "s3cr3t-token" } });
    assert.equal(token.accounts[0]?.token, "s3cr3t-token");
    const user = loadConfig({
      env: { ...MINIMAL, STREAMHOOK_NATS_USER: "u", STREAMHOOK_NATS_PASSWORD: "p" },
    });
    assert.deepEqual([user.accounts[0]?.user, user.accounts[0]?.password], ["u", "p"]);
    const both = configError(() =>
      loadConfig({
        env: { ...MINIMAL, STREAMHOOK_NATS_TOKEN: "t", STREAMHOOK_CREDENTIALS_FILE: "x.creds" },
      }),
    );
    assert.deepEqual(where(both), [["accounts[0].token", "env STREAMHOOK_NATS_TOKEN"]]);
    assert.ok(!both.message.includes("s3cr3t"));
  });

  test("needs both stream and consumer; a missing one names its variable", () => {
    const error = configError(() =>
      loadConfig({ env: { STREAMHOOK_TENANT_ID: "acme", STREAMHOOK_WEBHOOK_URL: "http://h/x" } }),
    );
    assert.deepEqual(error.issues, [
      { key: "accounts[0].stream", source: "env STREAMHOOK_STREAM", message: "required" },
      { key: "accounts[0].consumer", source: "env STREAMHOOK_CONSUMER", message: "required" },
    ]);
  });

  test("a token alone does not create it", () => {
    const error = configError(() =>
      loadConfig({ env: { STREAMHOOK_NATS_TOKEN: "t", STREAMHOOK_WEBHOOK_URL: "http://h/x" } }),
    );
    assert.deepEqual(where(error), [["accounts", "default"]]);
  });

  test("comes after the file's accounts, and may not reuse their names", () => {
    const file = yamlFile(`webhook: { url: http://h/x }
accounts:
  - { name: default, stream: S, consumer: C }
`);
    const error = configError(() => loadConfig({ file, env: MINIMAL }));
    assert.deepEqual(error.issues, [
      {
        key: "accounts[1].name",
        source: "env STREAMHOOK_STREAM, STREAMHOOK_CONSUMER",
        message: 'duplicate account name "default" (also accounts[0])',
      },
    ]);
  });
});

describe("loadConfig: errors name the key and where the value came from", () => {
  test("unknown keys and wrong types in the file, with file and line, all at once", () => {
    const file = yamlFile(`webhook:
  url: http://h/x
  retries: 3
delivery:
  concurrency: lots
accounts:
  - { name: a, stream: S, consumer: C }
  - name: b
    stream: S
    consumer: C
    webhok: {}
typo_top: 1
`);
    const error = configError(() => loadConfig({ file, env: {} }));
    assert.deepEqual(error.issues, [
      { key: "webhook.retries", source: `${file}:3`, message: "unknown key" },
      { key: "delivery.concurrency", source: `${file}:5`, message: "expected a positive integer" },
      { key: "accounts[1].webhok", source: `${file}:11`, message: "unknown key" },
      { key: "typo_top", source: `${file}:12`, message: "unknown key" },
    ]);
    assert.equal(
      error.message.split("\n")[1],
      `delivery.concurrency (${file}:5): expected a positive integer`,
    );
  });

  test("a wrong value from the environment names the variable", () => {
    const error = configError(() =>
      loadConfig({ env: { ...MINIMAL, STREAMHOOK_DELIVERY_MAX_ATTEMPTS: "many" } }),
    );
    assert.equal(
      error.message,
      "delivery.max_attempts (env STREAMHOOK_DELIVERY_MAX_ATTEMPTS): expected a positive integer",
    );
    const timeout = configError(() =>
      loadConfig({ env: { ...MINIMAL, STREAMHOOK_WEBHOOK_TIMEOUT: "soon" } }),
    );
    assert.deepEqual(where(timeout), [["webhook.timeout", "env STREAMHOOK_WEBHOOK_TIMEOUT"]]);
    const headers = configError(() =>
      loadConfig({ env: { ...MINIMAL, STREAMHOOK_WEBHOOK_HEADERS: "x-api-key: k" } }),
    );
    assert.deepEqual(where(headers), [["webhook.headers", "env STREAMHOOK_WEBHOOK_HEADERS"]]);
  });

  test("a wrong value from a flag names the flag, one from the file its line", () => {
    const file = yamlFile(
      `webhook: { url: http://h/x }\nbreaker:\n  cooldown: 10m\n${ONE_ACCOUNT}`,
    );
    const error = configError(() =>
      loadConfig({ file, env: {}, flags: { "log.level": "loud", "log.format": "xml" } }),
    );
    assert.deepEqual(error.issues, [
      // max_cooldown is not in the file: its section's line is the place to fix it.
      {
        key: "breaker.max_cooldown",
        source: `${file}:2`,
        message: "must not be shorter than breaker.cooldown",
      },
      {
        key: "log.level",
        source: "flag --log-level",
        message: "expected one of fatal, error, warn, info, debug, trace, silent",
      },
      { key: "log.format", source: "flag --log-format", message: 'expected "json" or "pretty"' },
    ]);
  });

  test("values are range-checked", () => {
    const file = yamlFile(`webhook:
  url: http://h/x
  body: xml
  timeout: 0
  max_connections: -1
delivery:
  terminal_statuses: [400, 99]
  backoff: []
breaker:
  failure_threshold: 0
${ONE_ACCOUNT}`);
    assert.deepEqual(where(configError(() => loadConfig({ file, env: {} }))), [
      ["webhook.body", `${file}:3`],
      ["webhook.timeout", `${file}:4`],
      ["webhook.max_connections", `${file}:5`],
      ["delivery.terminal_statuses[1]", `${file}:7`],
      ["delivery.backoff", `${file}:8`],
    ]);
  });

  test("webhook.url must be http(s)", () => {
    for (const url of ["ftp://h/x", "not a url", "http://"]) {
      const error = configError(() =>
        loadConfig({ env: { ...MINIMAL, STREAMHOOK_WEBHOOK_URL: url } }),
      );
      assert.deepEqual(error.issues, [
        {
          key: "webhook.url",
          source: "env STREAMHOOK_WEBHOOK_URL",
          message: "expected an http:// or https:// URL",
        },
      ]);
    }
  });

  test("webhook.url is required unless every account has its own, or accounts come from a directory", () => {
    const file = yamlFile(`accounts:
  - { name: a, stream: S, consumer: C, webhook: { url: "http://a/hook" } }
  - { name: b, stream: S, consumer: C }
`);
    const error = configError(() => loadConfig({ file, env: {} }));
    assert.deepEqual(where(error), [["webhook.url", "default"]]);
    assert.match(error.message, /accounts\[1\] "b" has none/);
    assert.doesNotMatch(error.message, /accounts\[0\]/);

    const own = yamlFile(`accounts:
  - { name: a, stream: S, consumer: C, webhook: { url: "http://a/hook" } }
`);
    const config = loadConfig({ file: own, env: {} });
    assert.equal(config.webhook.url, undefined);
    assert.equal(config.accounts[0]?.webhook.url, "http://a/hook");

    const fromDir = loadConfig({ env: { STREAMHOOK_ACCOUNTS_DIR: "accounts" }, cwd: dir });
    assert.equal(fromDir.webhook.url, undefined);
    assert.equal(fromDir.accountsDir, join(dir, "accounts"));
  });

  test("no accounts at all, and no accounts directory, is an error", () => {
    const error = configError(() => loadConfig({ env: { STREAMHOOK_WEBHOOK_URL: "http://h/x" } }));
    assert.deepEqual(where(error), [["accounts", "default"]]);
  });

  test("account names are checked and unique", () => {
    const file = yamlFile(`webhook: { url: http://h/x }
accounts:
  - { name: "bad name", stream: S, consumer: C }
  - { name: "${"x".repeat(65)}", stream: S, consumer: C }
  - { name: ok-1_A, stream: S, consumer: C }
`);
    assert.deepEqual(where(configError(() => loadConfig({ file, env: {} }))), [
      ["accounts[0].name", `${file}:3`],
      ["accounts[1].name", `${file}:4`],
    ]);
    const dup = yamlFile(`webhook: { url: http://h/x }
accounts:
  - { name: ok, stream: S, consumer: C }
  - { name: ok, stream: S, consumer: C }
`);
    assert.deepEqual(where(configError(() => loadConfig({ file: dup, env: {} }))), [
      ["accounts[1].name", `${dup}:4`],
    ]);
  });
});

describe("loadConfig: secrets", () => {
  const RAW = "hunter2-plain-secret";
  const BAD_BASE64 = "whsec_hunter2!!not*base64";

  test("a secret must be whsec_<base64>; the error says so and never holds the value", () => {
    const error = configError(() =>
      loadConfig({
        env: {
          ...MINIMAL,
          STREAMHOOK_WEBHOOK_SECRET: RAW,
          STREAMHOOK_WEBHOOK_PREVIOUS_SECRET: BAD_BASE64,
        },
      }),
    );
    assert.deepEqual(where(error), [
      ["webhook.secret", "env STREAMHOOK_WEBHOOK_SECRET"],
      ["webhook.previous_secret", "env STREAMHOOK_WEBHOOK_PREVIOUS_SECRET"],
    ]);
    assert.match(error.message, /"whsec_" followed by base64 \(a raw secret is not accepted\)/);
    assert.ok(!error.message.includes("hunter2"), error.message);
  });

  test("nor do errors about secrets from YAML, interpolation or an account", () => {
    const file = yamlFile(`webhook:
  url: http://h/x
  secret: \${SECRET_FROM_ENV}
  previous_secret: 12345
accounts:
  - name: a
    stream: S
    consumer: C
    user: u
    password: hunter2-password
    webhook: { secret: ${RAW} }
`);
    const error = configError(() => loadConfig({ file, env: { SECRET_FROM_ENV: BAD_BASE64 } }));
    assert.deepEqual(where(error), [
      ["webhook.secret", `${file}:3`],
      ["webhook.previous_secret", `${file}:4`],
      ["accounts[0].webhook.secret", `${file}:11`],
    ]);
    assert.ok(!error.message.includes("hunter2"), error.message);
    assert.ok(!error.message.includes("12345"), error.message);
  });

  test("a valid secret is kept, and a previous secret needs a current one", () => {
    const config = loadConfig({
      env: {
        ...MINIMAL,
        STREAMHOOK_WEBHOOK_SECRET: SECRET,
        STREAMHOOK_WEBHOOK_PREVIOUS_SECRET: SECRET,
      },
    });
    assert.equal(config.accounts[0]?.webhook.secret, SECRET);
    assert.equal(config.accounts[0].webhook.previousSecret, SECRET);
    const error = configError(() =>
      loadConfig({ env: { ...MINIMAL, STREAMHOOK_WEBHOOK_PREVIOUS_SECRET: SECRET } }),
    );
    assert.deepEqual(where(error), [
      ["webhook.previous_secret", "env STREAMHOOK_WEBHOOK_PREVIOUS_SECRET"],
    ]);
    const file = yamlFile(`webhook: { url: http://h/x }
accounts:
  - name: a
    stream: S
    consumer: C
    webhook: { previous_secret: ${SECRET} }
`);
    assert.deepEqual(where(configError(() => loadConfig({ file, env: {} }))), [
      ["accounts[0].webhook.previous_secret", `${file}:6`],
    ]);
    assert.ok(!error.message.includes(SECRET));
  });
});

describe("loadConfig: static accounts", () => {
  test("override global settings; headers merge, the account winning", () => {
    const file = yamlFile(`
nats: { servers: [nats://global:4222] }
webhook:
  url: http://global/hook
  headers: { x-a: global, x-b: global }
  timeout: 5s
  secret: ${SECRET}
delivery: { max_retry_after: 10m }
dlq: { subject: "dlq.{account}" }
accounts:
  - name: a
    stream: S
    consumer: C
    tenant_id: tenant-a
    servers: [nats://other:4222]
    webhook: { url: "https://a.example.com/h", headers: { x-b: account, x-c: 3 }, body: envelope }
    delivery: { max_attempts: 2, backoff: [1s], account_concurrency: 4, terminal_statuses: [410] }
    dlq_subject: dlq.a
    paused: true
  - { name: b, stream: S2, consumer: C2 }
`);
    const [a, b] = loadConfig({ file, env: {} }).accounts;
    assert.ok(a && b);
    assert.equal(a.tenantId, "tenant-a");
    assert.deepEqual(a.servers, ["nats://other:4222"]);
    // Its own URL and no secret of its own: a key derived from the global one (SPEC section 4).
    assert.equal(a.secretSource, "derived");
    assert.equal(b.secretSource, "global");
    assert.equal(b.webhook.secret, SECRET);
    assert.deepEqual(a.webhook, {
      url: "https://a.example.com/h",
      secret: deriveAccountSecret(SECRET, "a"),
      headers: { "x-a": "global", "x-b": "account", "x-c": "3" },
      timeout: 5_000,
      body: "envelope",
      tenantField: "tenant_id",
      allowedHosts: [],
      allowedNetworks: [],
      maxConnections: 32,
      rateLimit: 0,
    });
    assert.deepEqual(a.delivery, {
      maxAttempts: 2,
      backoff: [1_000],
      accountConcurrency: 4,
      terminalStatuses: [410],
    });
    assert.equal(a.maxRetryAfter, 600_000);
    assert.equal(a.dlqSubject, "dlq.a");
    assert.equal(a.paused, true);
    assert.equal(a.source, "static");

    assert.deepEqual(b.servers, ["nats://global:4222"]);
    assert.equal(b.webhook.url, "http://global/hook");
    assert.deepEqual(b.webhook.headers, { "x-a": "global", "x-b": "global" });
    assert.equal(b.delivery.maxAttempts, 10);
    assert.equal(b.dlqSubject, "dlq.{account}");
    assert.equal(b.paused, false);
  });

  test("relative paths resolve against the file that wrote them, else the working directory", () => {
    const file = yamlFile(`webhook: { url: http://h/x }
nats:
  tls: { ca_file: tls/ca.pem, cert_file: /abs/cert.pem }
accounts_dir: accounts
accounts:
  - { name: a, stream: S, consumer: C, credentials_file: creds/a.creds }
  - { name: b, stream: S, consumer: C, credentials_file: /etc/b.creds }
`);
    const cwd = join(dir, "elsewhere");
    const config = loadConfig({ file, env: {}, cwd });
    assert.equal(config.accounts[0]?.credentialsFile, join(dir, "creds", "a.creds"));
    assert.equal(config.accounts[1]?.credentialsFile, "/etc/b.creds");
    assert.deepEqual(config.nats.tls, {
      caFile: join(dir, "tls", "ca.pem"),
      certFile: "/abs/cert.pem",
    });
    assert.deepEqual(config.accounts[0].tls, config.nats.tls);
    assert.equal(config.accountsDir, join(dir, "accounts"));

    const fromEnv = loadConfig({
      file,
      env: { STREAMHOOK_NATS_TLS_CA_FILE: "ca.pem", STREAMHOOK_ACCOUNTS_DIR: "dirs" },
      cwd,
    });
    assert.equal(fromEnv.nats.tls?.caFile, join(cwd, "ca.pem"));
    assert.equal(fromEnv.accountsDir, join(cwd, "dirs"));
  });

  test("authenticate one way at most; user and password go together", () => {
    const file = yamlFile(`webhook: { url: http://h/x }
accounts:
  - { name: a, stream: S, consumer: C, token: t, user: u, password: p }
  - { name: b, stream: S, consumer: C, user: u }
  - { name: c, stream: S, consumer: C, password: p }
  - { name: d, stream: S, consumer: C, credentials_file: x.creds, user: u, password: p }
  - { name: e, stream: S, consumer: C, user: u, password: p }
`);
    assert.deepEqual(where(configError(() => loadConfig({ file, env: {} }))), [
      ["accounts[0].token", `${file}:3`],
      ["accounts[1].password", `${file}:4`],
      ["accounts[2].user", `${file}:5`],
      ["accounts[3].user", `${file}:6`],
    ]);
  });
});

describe("the shipped examples", () => {
  const root = fileURLToPath(new URL("../..", import.meta.url));

  test("config/streamhook.example.yaml loads and validates", () => {
    const file = join(root, "config", "streamhook.example.yaml");
    const config = loadConfig({ file, env: { STREAMHOOK_WEBHOOK_SECRET: SECRET } });
    assert.deepEqual(
      config.accounts.map((a) => [a.name, a.webhook.url]),
      [
        ["acme", "https://hooks.example.com/nats"],
        ["globex", "https://globex.example.com/hooks/nats"],
      ],
    );
    assert.equal(config.webhook.secret, SECRET);
    assert.equal(
      config.accounts[0]?.credentialsFile,
      join(root, "config", "accounts", "acme.creds"),
    );
    assert.deepEqual(config.accounts[1]?.webhook.headers, {
      "x-source": "streamhook",
      "x-tenant-route": "globex",
    });
    assert.deepEqual(config.accounts[1].delivery, {
      maxAttempts: 5,
      backoff: [2_000, 30_000, 300_000],
      accountConcurrency: 8,
      terminalStatuses: [400, 404, 410, 422],
    });
    assert.equal(config.accounts[1].token, "change-me");
    assert.equal(config.dlq.subject, "dlq.{account}.{stream}");
    // Its secret comes from the environment: without it, the file says which variable is missing.
    const error = configError(() => loadConfig({ file, env: {} }));
    assert.match(error.message, /STREAMHOOK_WEBHOOK_SECRET is not set/);
  });

  test(".env.example lists every variable, and its values, commented or not, are valid", () => {
    const env: Record<string, string> = {};
    for (const line of readFileSync(join(root, ".env.example"), "utf8").split("\n")) {
      const match = /^#?\s*(STREAMHOOK_[A-Z_]+)=(.*)$/.exec(line);
      if (match?.[1] !== undefined) env[match[1]] = match[2] ?? "";
    }
    for (const name of [
      "STREAMHOOK_CONFIG",
      ...Object.keys(ENV_KEYS),
      ...Object.keys(ENV_ACCOUNT),
    ]) {
      assert.ok(name in env, `.env.example lists ${name}`);
    }
    delete env.STREAMHOOK_CONFIG;
    const config = loadConfig({ env, cwd: dir });
    assert.equal(config.accounts[0]?.name, "default");
    assert.equal(config.accounts[0].webhook.url, env.STREAMHOOK_WEBHOOK_URL);
  });
});

describe("events.*", () => {
  test("url, secret and timeout come from their variables; the secret is not echoed", () => {
    const config = loadConfig({
      env: {
        ...MINIMAL,
        STREAMHOOK_EVENTS_URL: "http://10.0.0.5:9100/events",
        STREAMHOOK_EVENTS_SECRET: SECRET,
        STREAMHOOK_EVENTS_TIMEOUT: "2s",
      },
      cwd: dir,
    });
    assert.deepEqual(config.events, {
      url: "http://10.0.0.5:9100/events",
      secret: SECRET,
      timeout: 2_000,
    });
    const error = configError(() =>
      loadConfig({
        env: {
          ...MINIMAL,
          STREAMHOOK_EVENTS_URL: "ftp://ops/events",
          STREAMHOOK_EVENTS_SECRET: "raw-s3cr3t",
        },
        cwd: dir,
      }),
    );
    assert.deepEqual(where(error), [
      ["events.url", "env STREAMHOOK_EVENTS_URL"],
      ["events.secret", "env STREAMHOOK_EVENTS_SECRET"],
    ]);
    assert.ok(!error.message.includes("raw-s3cr3t"));
  });
});
