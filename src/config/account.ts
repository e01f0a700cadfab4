import { existsSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import type { RawAccount } from "./fields.js";
import { ConfigError } from "./errors.js";
import type { AccountConfig, AccountDefaults, Config } from "./types.js";

export interface ResolveContext {
  /** Relative paths resolve against this directory. */
  readonly baseDir: string;
  readonly source: AccountConfig["source"];
  /** Key prefix for errors, e.g. `accounts[2]` or `meta.yaml`. */
  readonly key: string;
  /** Where the account came from, for errors: `streamhook.yaml:14`, `env`, a meta.yaml path. */
  readonly origin: string;
  /** Directory accounts use `<dir>/user.creds` when no credentials are named and the file exists. */
  readonly defaultCredentials?: boolean;
}

/** Merges an account object with the global settings it inherits and overrides. */
export function resolveAccount(
  raw: RawAccount,
  defaults: AccountDefaults,
  context: ResolveContext,
): AccountConfig {
  const w = raw.webhook ?? {};
  const d = raw.delivery ?? {};
  const url = w.url ?? defaults.webhook.url;
  if (url === undefined) {
    throw new ConfigError([
      {
        key: `${context.key}.webhook.url`,
        source: context.origin,
        message: "no webhook URL: set webhook.url globally or for this account",
      },
    ]);
  }
  let credentialsFile =
    raw.credentials_file === undefined
      ? undefined
      : resolvePath(context.baseDir, raw.credentials_file);
  if (credentialsFile === undefined && context.defaultCredentials === true) {
    const candidate = resolve(context.baseDir, "user.creds");
    if (existsSync(candidate)) credentialsFile = candidate;
  }
  return {
    name: raw.name,
    source: context.source,
    stream: raw.stream,
    consumer: raw.consumer,
    tenantId: raw.tenant_id,
    credentialsFile,
    token: raw.token,
    user: raw.user,
    password: raw.password,
    servers: raw.servers ?? defaults.servers,
    tls: defaults.tls,
    webhook: {
      url,
      secret: w.secret ?? defaults.webhook.secret,
      previousSecret: w.previous_secret ?? defaults.webhook.previousSecret,
      headers: { ...defaults.webhook.headers, ...w.headers },
      timeoutMs: w.timeout ?? defaults.webhook.timeoutMs,
      body: w.body ?? defaults.webhook.body,
      tenantField: w.tenant_field ?? defaults.webhook.tenantField,
      allowedHosts: w.allowed_hosts ?? defaults.webhook.allowedHosts,
      maxConnections: w.max_connections ?? defaults.webhook.maxConnections,
    },
    delivery: {
      maxAttempts: d.max_attempts ?? defaults.delivery.maxAttempts,
      backoffMs: d.backoff ?? defaults.delivery.backoffMs,
      accountConcurrency: d.account_concurrency ?? defaults.delivery.accountConcurrency,
      terminalStatuses: d.terminal_statuses ?? defaults.delivery.terminalStatuses,
    },
    maxRetryAfterMs: defaults.delivery.maxRetryAfterMs,
    dlqSubject: raw.dlq_subject ?? defaults.dlqSubject,
    paused: raw.paused ?? false,
  };
}

function resolvePath(baseDir: string, path: string): string {
  return isAbsolute(path) ? path : resolve(baseDir, path);
}

/** What accounts inherit from a loaded configuration. */
export function accountDefaults(config: Config): AccountDefaults {
  return {
    servers: config.nats.servers,
    tls: config.nats.tls,
    webhook: config.webhook,
    delivery: config.delivery,
    dlqSubject: config.dlq.subject,
  };
}
