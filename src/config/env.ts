import { setPath } from "./key-path.js";
import type { SourceMap } from "./sources.js";

/**
 * Environment variables and the configuration key each one sets. The single account that can be
 * given by environment alone is handled separately (see ENV_ACCOUNT).
 */
export const ENV_KEYS: Readonly<Record<string, string>> = {
  STREAMHOOK_NATS_SERVERS: "nats.servers",
  STREAMHOOK_NATS_TLS_CA_FILE: "nats.tls.ca_file",
  STREAMHOOK_NATS_TLS_CERT_FILE: "nats.tls.cert_file",
  STREAMHOOK_NATS_TLS_KEY_FILE: "nats.tls.key_file",
  STREAMHOOK_ACCOUNTS_DIR: "accounts_dir",
  STREAMHOOK_ACCOUNTS_RESCAN_INTERVAL: "accounts_rescan_interval",
  STREAMHOOK_WEBHOOK_URL: "webhook.url",
  STREAMHOOK_WEBHOOK_SECRET: "webhook.secret",
  STREAMHOOK_WEBHOOK_PREVIOUS_SECRET: "webhook.previous_secret",
  STREAMHOOK_WEBHOOK_HEADERS: "webhook.headers",
  STREAMHOOK_WEBHOOK_TIMEOUT: "webhook.timeout",
  STREAMHOOK_WEBHOOK_BODY: "webhook.body",
  STREAMHOOK_WEBHOOK_TENANT_FIELD: "webhook.tenant_field",
  STREAMHOOK_WEBHOOK_ALLOWED_HOSTS: "webhook.allowed_hosts",
  STREAMHOOK_WEBHOOK_MAX_CONNECTIONS: "webhook.max_connections",
  STREAMHOOK_DELIVERY_CONCURRENCY: "delivery.concurrency",
  STREAMHOOK_DELIVERY_ACCOUNT_CONCURRENCY: "delivery.account_concurrency",
  STREAMHOOK_DELIVERY_MAX_ATTEMPTS: "delivery.max_attempts",
  STREAMHOOK_DELIVERY_BACKOFF: "delivery.backoff",
  STREAMHOOK_DELIVERY_MAX_RETRY_AFTER: "delivery.max_retry_after",
  STREAMHOOK_DELIVERY_TERMINAL_STATUSES: "delivery.terminal_statuses",
  STREAMHOOK_DELIVERY_PULL_BATCH: "delivery.pull_batch",
  STREAMHOOK_DELIVERY_QUEUE_CAPACITY: "delivery.queue_capacity",
  STREAMHOOK_DELIVERY_QUEUE_BYTES: "delivery.queue_bytes",
  STREAMHOOK_DELIVERY_MAX_MESSAGE_BYTES: "delivery.max_message_bytes",
  STREAMHOOK_BREAKER_FAILURE_THRESHOLD: "breaker.failure_threshold",
  STREAMHOOK_BREAKER_COOLDOWN: "breaker.cooldown",
  STREAMHOOK_BREAKER_MAX_COOLDOWN: "breaker.max_cooldown",
  STREAMHOOK_DLQ_SUBJECT: "dlq.subject",
  STREAMHOOK_HTTP_LISTEN: "http.listen",
  STREAMHOOK_LOG_LEVEL: "log.level",
  STREAMHOOK_LOG_FORMAT: "log.format",
  STREAMHOOK_SHUTDOWN_TIMEOUT: "shutdown_timeout",
};

/** Variables of the one account, named `default`, that the environment alone can define. */
export const ENV_ACCOUNT: Readonly<Record<string, string>> = {
  STREAMHOOK_STREAM: "stream",
  STREAMHOOK_CONSUMER: "consumer",
  STREAMHOOK_CREDENTIALS_FILE: "credentials_file",
  STREAMHOOK_TENANT_ID: "tenant_id",
  STREAMHOOK_NATS_TOKEN: "token",
  STREAMHOOK_NATS_USER: "user",
  STREAMHOOK_NATS_PASSWORD: "password",
};

/**
 * Variables whose presence creates the environment account. Token, user and password alone do
 * not: they may be left over in an environment whose accounts are all in a file.
 */
export const ENV_ACCOUNT_TRIGGERS: readonly string[] = [
  "STREAMHOOK_STREAM",
  "STREAMHOOK_CONSUMER",
  "STREAMHOOK_CREDENTIALS_FILE",
  "STREAMHOOK_TENANT_ID",
];

/** The name of the account the environment defines. */
export const ENV_ACCOUNT_NAME = "default";

// An empty variable counts as unset: `FOO=` in an env file or compose file means "not configured".
function read(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value === "" ? undefined : value;
}

/** Applies the STREAMHOOK_* variables of ENV_KEYS to the raw input, recording each as a source. */
export function applyEnv(
  input: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
  sources: SourceMap,
): void {
  for (const [name, key] of Object.entries(ENV_KEYS)) {
    const value = read(env, name);
    if (value === undefined) continue;
    setPath(input, key, value);
    sources.record(key, `env ${name}`);
  }
}

/**
 * Appends the environment's account to `accounts`, when the environment defines one, and returns
 * its index. Each key is recorded with its variable even when the variable is missing, so a
 * missing stream is reported as `accounts[0].stream (env STREAMHOOK_STREAM): required`.
 */
export function addEnvAccount(
  input: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
  sources: SourceMap,
): number | undefined {
  const triggers = ENV_ACCOUNT_TRIGGERS.filter((name) => read(env, name) !== undefined);
  if (triggers.length === 0) return undefined;
  // A malformed `accounts` from the file is left for validation to report, not overwritten.
  if (input.accounts !== undefined && !Array.isArray(input.accounts)) return undefined;
  const accounts = (input.accounts ?? []) as unknown[];
  const index = accounts.length;
  const account: Record<string, unknown> = { name: ENV_ACCOUNT_NAME };
  sources.record(`accounts[${index}]`, `env ${triggers.join(", ")}`);
  for (const [name, key] of Object.entries(ENV_ACCOUNT)) {
    sources.record(`accounts[${index}].${key}`, `env ${name}`);
    const value = read(env, name);
    if (value !== undefined) account[key] = value;
  }
  input.accounts = [...accounts, account];
  return index;
}

/** Applies command-line flags, given by dotted key, as the last source. */
export function applyFlags(
  input: Record<string, unknown>,
  flags: Readonly<Record<string, unknown>>,
  sources: SourceMap,
): void {
  for (const [key, value] of Object.entries(flags)) {
    if (value === undefined) continue;
    setPath(input, key, value);
    sources.record(key, `flag --${key.replace(/[._]/g, "-")}`);
  }
}
