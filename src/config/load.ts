import { readFileSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { resolveAccount } from "./account.js";
import { camelized } from "./camel-case.js";
import { addEnvAccount, applyEnv, applyFlags } from "./env.js";
import { ConfigError, type ConfigIssue } from "./errors.js";
import { inReadingOrder, issuesFromZod } from "./issues.js";
import type { KeyPath } from "./key-path.js";
import { configSchema, type RawConfig } from "./schema.js";
import { createSourceMap, type SourceMap } from "./sources.js";
import type { AccountConfig, AccountDefaults, Config, TlsConfig } from "./types.js";
import { parseYamlSource, type YamlSource } from "./yaml-source.js";

export interface LoadOptions {
  /** The YAML file (`--config`); defaults to `STREAMHOOK_CONFIG`; none is fine. */
  readonly file?: string | undefined;
  readonly env: NodeJS.ProcessEnv;
  /** Command-line overrides by dotted key, e.g. `{ "log.level": "debug" }`. */
  readonly flags?: Readonly<Record<string, unknown>>;
  /** Relative paths not written in the YAML file resolve against this. Default: process.cwd(). */
  readonly cwd?: string;
}

function readYaml(file: string, env: NodeJS.ProcessEnv, origin: string): YamlSource {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new ConfigError(
      [{ key: "config", source: origin, message: `cannot read ${file}: ${code}` }],
      { cause: error },
    );
  }
  return parseYamlSource(text, file, { env });
}

/**
 * Relative paths resolve against the directory of the file that wrote them, so a configuration
 * can be moved together with its creds; paths from the environment or a flag resolve against the
 * working directory, as a shell user expects.
 */
function pathResolver(file: string | undefined, cwd: string, sources: SourceMap) {
  return (path: KeyPath, value: string): string => {
    if (isAbsolute(value)) return value;
    const fromFile = file !== undefined && sources.explicit(path) === undefined;
    return resolve(fromFile ? dirname(file) : cwd, value);
  };
}

type ResolvePath = ReturnType<typeof pathResolver>;

function tlsOf(tls: RawConfig["nats"]["tls"], resolvePath: ResolvePath): TlsConfig | undefined {
  if (tls === undefined) return undefined;
  const resolved: Record<string, string> = {};
  // zod leaves out the keys that were not given, so every value here is a path.
  for (const [key, value] of Object.entries(tls)) {
    resolved[key] = resolvePath(["nats", "tls", key], value);
  }
  return camelized(resolved as typeof tls);
}

function globalsOf(raw: RawConfig, tls: TlsConfig | undefined): AccountDefaults {
  return {
    servers: raw.nats.servers,
    tls,
    webhook: camelized(raw.webhook),
    delivery: camelized(raw.delivery),
    dlqSubject: raw.dlq.subject,
  };
}

/**
 * One issue for a missing global webhook.url, naming the accounts that needed it, rather than one
 * per account: the fix is usually the global key.
 */
function missingUrlIssue(raw: RawConfig, sources: SourceMap): ConfigIssue | undefined {
  if (raw.webhook.url !== undefined) return undefined;
  const without = raw.accounts
    .map((account, index) => ({ account, index }))
    .filter(({ account }) => account.webhook?.url === undefined)
    .map(({ account, index }) => `accounts[${index}] "${account.name}"`);
  if (without.length === 0) return undefined;
  return {
    key: "webhook.url",
    source: sources.of(["webhook", "url"]),
    message: `required (or STREAMHOOK_WEBHOOK_URL), unless every account has its own: ${without.join(", ")} has none`,
  };
}

function resolveAccounts(
  raw: RawConfig,
  globals: AccountDefaults,
  context: {
    sources: SourceMap;
    envIndex: number | undefined;
    cwd: string;
    file: string | undefined;
  },
): { accounts: AccountConfig[]; issues: ConfigIssue[] } {
  const { sources, envIndex, cwd, file } = context;
  const issues: ConfigIssue[] = [];
  const accounts: AccountConfig[] = [];
  const firstIndex = new Map<string, number>();
  raw.accounts.forEach((account, index) => {
    const key = `accounts[${index}]`;
    const first = firstIndex.get(account.name);
    if (first !== undefined) {
      issues.push({
        key: `${key}.name`,
        source: sources.of(["accounts", index, "name"]),
        message: `duplicate account name "${account.name}" (also accounts[${first}])`,
      });
      return;
    }
    firstIndex.set(account.name, index);
    const isEnv = index === envIndex;
    try {
      accounts.push(
        resolveAccount(account, globals, {
          baseDir: isEnv || file === undefined ? cwd : dirname(file),
          source: isEnv ? "env" : "static",
          key,
          origin: sources.of(["accounts", index]),
          sourceOf: (path) => sources.of(["accounts", index, ...path]),
        }),
      );
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      issues.push(...error.issues);
    }
  });
  return { accounts, issues };
}

/**
 * Loads the configuration from defaults, the YAML file, the environment and flags (the later
 * winning), validates all of it, and throws one ConfigError listing every problem, each with its
 * dotted key and where its value came from.
 */
export function loadConfig(options: LoadOptions): Config {
  const { env } = options;
  const cwd = options.cwd ?? process.cwd();
  const fromEnv = env.STREAMHOOK_CONFIG === "" ? undefined : env.STREAMHOOK_CONFIG;
  const fileOption = options.file ?? fromEnv;
  const file = fileOption === undefined ? undefined : resolve(cwd, fileOption);
  const origin = options.file !== undefined ? "flag --config" : "env STREAMHOOK_CONFIG";
  const yaml = file === undefined ? undefined : readYaml(file, env, origin);

  const sources = createSourceMap(yaml);
  const input = structuredClone(yaml?.value ?? {});
  applyEnv(input, env, sources);
  const envIndex = addEnvAccount(input, env, sources);
  applyFlags(input, options.flags ?? {}, sources);

  const parsed = configSchema.safeParse(input);
  if (!parsed.success) {
    throw new ConfigError(inReadingOrder(issuesFromZod(parsed.error, input, sources.of)));
  }
  const raw = parsed.data;

  const resolvePath = pathResolver(file, cwd, sources);
  const tls = tlsOf(raw.nats.tls, resolvePath);
  const globals = globalsOf(raw, tls);
  const issues: ConfigIssue[] = [];
  const missingUrl = missingUrlIssue(raw, sources);
  if (missingUrl !== undefined) issues.push(missingUrl);
  const resolved = resolveAccounts(raw, globals, { sources, envIndex, cwd, file });
  // With the global URL missing, each account would repeat that one problem.
  issues.push(
    ...resolved.issues.filter((i) => missingUrl === undefined || !i.key.endsWith(".webhook.url")),
  );
  if (raw.accounts.length === 0 && raw.accounts_dir === undefined) {
    issues.push({
      key: "accounts",
      source: sources.of(["accounts"]),
      message:
        "no accounts: list them under accounts, set accounts_dir, or set STREAMHOOK_STREAM and STREAMHOOK_CONSUMER",
    });
  }
  if (issues.length > 0) throw new ConfigError(inReadingOrder(issues));

  return {
    nats: { servers: raw.nats.servers, tls },
    accountsDir:
      raw.accounts_dir === undefined ? undefined : resolvePath(["accounts_dir"], raw.accounts_dir),
    accountsRescanInterval: raw.accounts_rescan_interval,
    accounts: resolved.accounts,
    webhook: globals.webhook,
    delivery: globals.delivery,
    breaker: camelized(raw.breaker),
    dlq: { subject: raw.dlq.subject },
    http: camelized(raw.http),
    events: camelized(raw.events),
    log: raw.log,
    shutdownTimeout: raw.shutdown_timeout,
    configFile: file,
  };
}
