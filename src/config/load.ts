import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type { z } from "zod";
import { resolveAccount } from "./account.js";
import { ENV_ACCOUNT, ENV_ACCOUNT_TRIGGERS, ENV_KEYS } from "./env.js";
import { ConfigError, type ConfigIssue } from "./errors.js";
import { configSchema, type RawConfig } from "./schema.js";
import type { AccountConfig, AccountDefaults, Config } from "./types.js";
import { parseYamlSource, type YamlSource } from "./yaml-source.js";

export interface LoadOptions {
  /** The YAML file; defaults to `STREAMHOOK_CONFIG`. */
  readonly file?: string | undefined;
  readonly env: NodeJS.ProcessEnv;
  /** Command-line overrides by dotted key, e.g. `{ "log.level": "debug" }`. */
  readonly flags?: Readonly<Record<string, unknown>>;
  /** Relative paths outside the YAML file resolve against this. Default: process.cwd(). */
  readonly cwd?: string;
}

type Path = readonly PropertyKey[];

function keyOf(path: Path): string {
  let key = "";
  for (const part of path) {
    if (typeof part === "number") key += `[${part}]`;
    else key += key === "" ? String(part) : `.${String(part)}`;
  }
  return key === "" ? "(root)" : key;
}

function setPath(target: Record<string, unknown>, dotted: string, value: unknown): void {
  const parts = dotted.split(".");
  let node = target;
  for (const part of parts.slice(0, -1)) {
    const next = node[part];
    if (typeof next !== "object" || next === null || Array.isArray(next)) node[part] = {};
    node = node[part] as Record<string, unknown>;
  }
  node[parts[parts.length - 1] ?? ""] = value;
}

/**
 * Where each value came from. Values set by the environment or flags are recorded by key; the
 * rest is found in the YAML document, and whatever is in neither is a default.
 */
class Sources {
  readonly #explicit = new Map<string, string>();
  constructor(readonly yaml: YamlSource | undefined) {}

  record(key: string, source: string): void {
    this.#explicit.set(key, source);
  }

  of(path: Path): string {
    for (let depth = path.length; depth >= 0; depth--) {
      const found = this.#explicit.get(keyOf(path.slice(0, depth)));
      if (found !== undefined) return found;
    }
    const located = this.yaml?.locate(path.filter((p) => typeof p !== "symbol"));
    return located ?? "default";
  }
}

function valueAt(input: unknown, path: Path): unknown {
  let node = input;
  for (const part of path) {
    if (typeof node !== "object" || node === null) return undefined;
    node = (node as Record<PropertyKey, unknown>)[part];
  }
  return node;
}

function issuesOf(error: z.ZodError, sources: Sources, input: unknown): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  for (const issue of error.issues) {
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) {
        const path = [...issue.path, key];
        issues.push({ key: keyOf(path), source: sources.of(path), message: "unknown key" });
      }
      continue;
    }
    const message =
      issue.code === "invalid_type" && valueAt(input, issue.path) === undefined
        ? "required"
        : issue.message;
    issues.push({ key: keyOf(issue.path), source: sources.of(issue.path), message });
  }
  return issues;
}

function readYaml(file: string, env: NodeJS.ProcessEnv, origin: string): YamlSource {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new ConfigError(
      [{ key: "config", source: origin, message: `cannot read ${file}: ${code}` }],
      {
        cause: error,
      },
    );
  }
  return parseYamlSource(text, file, env);
}

function envAccount(
  env: NodeJS.ProcessEnv,
  sources: Sources,
  index: number,
): Record<string, unknown> | undefined {
  if (!ENV_ACCOUNT_TRIGGERS.some((name) => (env[name] ?? "") !== "")) return undefined;
  const account: Record<string, unknown> = { name: "default" };
  sources.record(`accounts[${index}]`, "env STREAMHOOK_STREAM/STREAMHOOK_CONSUMER");
  for (const [name, key] of Object.entries(ENV_ACCOUNT)) {
    const value = env[name];
    if (value === undefined || value === "") continue;
    account[key] = value;
    sources.record(`accounts[${index}].${key}`, `env ${name}`);
  }
  return account;
}

function defaultsOf(raw: RawConfig): AccountDefaults {
  const w = raw.webhook;
  return {
    servers: raw.nats.servers,
    tls: tlsOf(raw.nats.tls),
    webhook: {
      url: w.url,
      secret: w.secret,
      previousSecret: w.previous_secret,
      headers: w.headers ?? {},
      timeoutMs: w.timeout ?? 10_000,
      body: w.body ?? "payload",
      tenantField: w.tenant_field ?? "tenant_id",
      allowedHosts: w.allowed_hosts ?? [],
      maxConnections: w.max_connections ?? 32,
    },
    delivery: {
      concurrency: raw.delivery.concurrency,
      accountConcurrency: raw.delivery.account_concurrency,
      maxAttempts: raw.delivery.max_attempts,
      backoffMs: raw.delivery.backoff,
      maxRetryAfterMs: raw.delivery.max_retry_after,
      terminalStatuses: raw.delivery.terminal_statuses,
      pullBatch: raw.delivery.pull_batch,
      queueCapacity: raw.delivery.queue_capacity,
    },
    dlqSubject: raw.dlq.subject,
  };
}

function tlsOf(tls: RawConfig["nats"]["tls"]): Config["nats"]["tls"] {
  if (tls === undefined) return undefined;
  return {
    ...(tls.ca_file !== undefined && { caFile: tls.ca_file }),
    ...(tls.cert_file !== undefined && { certFile: tls.cert_file }),
    ...(tls.key_file !== undefined && { keyFile: tls.key_file }),
  };
}

function listenOf(listen: string): Config["http"]["listen"] {
  if (listen === "off") return undefined;
  const colon = listen.lastIndexOf(":");
  return {
    host: listen.slice(0, colon).replace(/^\[(.*)\]$/, "$1"),
    port: Number(listen.slice(colon + 1)),
  };
}

/**
 * Loads the configuration from defaults, the YAML file, the environment and flags (the later
 * winning), validates all of it, and reports every problem at once with its key and source.
 */
export function loadConfig(options: LoadOptions): Config {
  const { env } = options;
  const cwd = options.cwd ?? process.cwd();
  const fileOrigin = options.file !== undefined ? "flag --config" : "env STREAMHOOK_CONFIG";
  const fileOption =
    options.file ?? (env.STREAMHOOK_CONFIG === "" ? undefined : env.STREAMHOOK_CONFIG);
  const file = fileOption === undefined ? undefined : resolve(cwd, fileOption);
  const yaml = file === undefined ? undefined : readYaml(file, env, fileOrigin);
  const sources = new Sources(yaml);
  const input: Record<string, unknown> = structuredClone(yaml?.value ?? {});

  for (const [name, key] of Object.entries(ENV_KEYS)) {
    const value = env[name];
    if (value === undefined || value === "") continue;
    setPath(input, key, value);
    sources.record(key, `env ${name}`);
  }
  const staticCount = Array.isArray(input.accounts) ? input.accounts.length : 0;
  const fromEnv = envAccount(env, sources, staticCount);
  if (fromEnv !== undefined) {
    input.accounts = [
      ...(Array.isArray(input.accounts) ? (input.accounts as unknown[]) : []),
      fromEnv,
    ];
  }
  for (const [key, value] of Object.entries(options.flags ?? {})) {
    setPath(input, key, value);
    sources.record(key, `flag --${key.replace(/[._]/g, "-")}`);
  }

  const parsed = configSchema.safeParse(input);
  if (!parsed.success) throw new ConfigError(issuesOf(parsed.error, sources, input));
  const raw = parsed.data;
  const defaults = defaultsOf(raw);
  const issues: ConfigIssue[] = [];
  const accounts: AccountConfig[] = [];
  const seen = new Set<string>();
  raw.accounts.forEach((account, index) => {
    const key = `accounts[${index}]`;
    const isEnv = fromEnv !== undefined && index === staticCount;
    if (seen.has(account.name)) {
      issues.push({
        key: `${key}.name`,
        source: sources.of(["accounts", index, "name"]),
        message: `duplicate account name "${account.name}"`,
      });
      return;
    }
    seen.add(account.name);
    try {
      accounts.push(
        resolveAccount(account, defaults, {
          baseDir: isEnv || file === undefined ? cwd : dirname(file),
          source: isEnv ? "env" : "static",
          key,
          origin: sources.of(["accounts", index]),
        }),
      );
    } catch (error) {
      if (error instanceof ConfigError) issues.push(...error.issues);
      else throw error;
    }
  });
  if (accounts.length === 0 && issues.length === 0 && raw.accounts_dir === undefined) {
    issues.push({
      key: "accounts",
      source: sources.of(["accounts"]),
      message:
        "no accounts: list them under accounts, set accounts_dir, or set STREAMHOOK_STREAM and STREAMHOOK_CONSUMER",
    });
  }
  if (issues.length > 0) throw new ConfigError(issues);

  return {
    nats: { servers: raw.nats.servers, tls: defaults.tls },
    accountsDir:
      raw.accounts_dir === undefined
        ? undefined
        : resolve(file === undefined ? cwd : dirname(file), raw.accounts_dir),
    accountsRescanIntervalMs: raw.accounts_rescan_interval,
    accounts,
    webhook: defaults.webhook,
    delivery: defaults.delivery,
    breaker: {
      failureThreshold: raw.breaker.failure_threshold,
      cooldownMs: raw.breaker.cooldown,
      maxCooldownMs: raw.breaker.max_cooldown,
    },
    dlq: { subject: raw.dlq.subject },
    http: { listen: listenOf(raw.http.listen) },
    log: raw.log,
    shutdownTimeoutMs: raw.shutdown_timeout,
    configFile: file,
  };
}
