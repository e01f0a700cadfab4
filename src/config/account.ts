import { existsSync, realpathSync } from "node:fs";
import { basename, dirname, isAbsolute, relative, resolve, sep } from "node:path";
import { ConfigError, type ConfigIssue } from "./errors.js";
import { camelCase, camelized } from "./camel-case.js";
import { deriveAccountSecret } from "../delivery/signing.js";
import { PREVIOUS_WITHOUT_SECRET } from "./fields.js";
import { inReadingOrder, issuesFromZod } from "./issues.js";
import { keyOf, type KeyPath } from "./key-path.js";
import { accountSchema, ACCOUNT_DELIVERY_KEYS, type RawAccount } from "./schema.js";
import type { AccountConfig, AccountDefaults, AccountDeliveryConfig, Config } from "./types.js";
import { readRegularFile, whyUnreadable } from "./regular-file.js";
import { parseYamlSource } from "./yaml-source.js";

export { ACCOUNT_NAME } from "./fields.js";
export { accountSchema, type RawAccount } from "./schema.js";

/** The file that makes a subdirectory of the accounts directory an account. */
export const ACCOUNT_FILE = "meta.yaml";
/** The creds file a directory account uses when its meta.yaml names none. */
export const DEFAULT_CREDENTIALS = "user.creds";

export interface ResolveContext {
  /** Relative paths resolve against this directory. */
  readonly baseDir: string;
  readonly source: AccountConfig["source"];
  /** Key prefix for errors, e.g. `accounts[2]`; empty or absent for a meta.yaml. */
  readonly key?: string;
  /** Where the account came from, for errors: `streamhook.yaml:14`, `env ...`, a meta.yaml path. */
  readonly origin: string;
  /** Where a key of this account came from, when known more precisely than `origin`. */
  readonly sourceOf?: (path: KeyPath) => string | undefined;
  /**
   * Directory accounts use `<baseDir>/user.creds` when they name no credentials (nor a token or a
   * user) and the file exists.
   */
  readonly defaultCredentials?: boolean;
}

function resolvePath(baseDir: string, path: string): string {
  return isAbsolute(path) ? path : resolve(baseDir, path);
}

function credentialsOf(raw: RawAccount, context: ResolveContext): string | undefined {
  if (raw.credentials_file !== undefined) return resolvePath(context.baseDir, raw.credentials_file);
  const otherAuth = raw.token !== undefined || raw.user !== undefined;
  if (context.defaultCredentials !== true || otherAuth) return undefined;
  const candidate = resolve(context.baseDir, DEFAULT_CREDENTIALS);
  return existsSync(candidate) ? candidate : undefined;
}

/** Settings without their secrets, which `signingSecrets` decides on their own. */
function withoutSecrets<T extends { secret?: unknown; previousSecret?: unknown }>(
  webhook: T,
): Omit<T, "secret" | "previousSecret"> {
  const { secret: _secret, previousSecret: _previous, ...rest } = webhook;
  return rest;
}

/**
 * Which secret signs an account's events. An account with its own URL but no secret of its own
 * gets one derived from the global secret (and from the global previous secret during a rotation),
 * so that its receiver cannot forge another tenant's events; an account on the global URL signs
 * with the global secret, which that receiver already holds.
 */
function signingSecrets(
  name: string,
  own: NonNullable<RawAccount["webhook"]>,
  globals: AccountDefaults,
): Pick<AccountConfig["webhook"], "secret" | "previousSecret"> & {
  readonly source: AccountConfig["secretSource"];
} {
  const global = globals.webhook;
  if (own.secret !== undefined) {
    return { secret: own.secret, previousSecret: own.previous_secret, source: "account" };
  }
  if (global.secret === undefined) return { source: "none" };
  // An account's own previous_secret (the key its receiver held before) keeps signing beside
  // whichever key signs now; without one, the global previous secret's counterpart does.
  if (own.url === undefined) {
    const previousSecret = own.previous_secret ?? global.previousSecret;
    return { secret: global.secret, previousSecret, source: "global" };
  }
  const previousSecret =
    own.previous_secret ??
    (global.previousSecret === undefined
      ? undefined
      : deriveAccountSecret(global.previousSecret, name));
  return { secret: deriveAccountSecret(global.secret, name), previousSecret, source: "derived" };
}

/** The global values of the `delivery.*` keys an account may set for itself. */
function accountDelivery(globals: AccountDefaults): AccountDeliveryConfig {
  const out: Record<string, unknown> = {};
  for (const key of ACCOUNT_DELIVERY_KEYS) {
    const name = camelCase(key);
    out[name] = globals.delivery[name];
  }
  return out as AccountDeliveryConfig;
}

/**
 * Merges a validated account object with the global settings it inherits and overrides: any
 * `webhook.*` key replaces the global one, except `headers`, which merge, the account winning.
 * Throws a ConfigError when the result cannot deliver (no webhook URL anywhere).
 */
export function resolveAccount(
  raw: RawAccount,
  globals: AccountDefaults,
  context: ResolveContext,
): AccountConfig {
  const w = raw.webhook ?? {};
  const d = raw.delivery ?? {};
  const issue = (path: KeyPath, message: string): ConfigIssue => ({
    key: keyOf(context.key === undefined || context.key === "" ? path : [context.key, ...path]),
    source: context.sourceOf?.(path) ?? context.origin,
    message,
  });
  const issues: ConfigIssue[] = [];
  const url = w.url ?? globals.webhook.url;
  if (url === undefined) {
    issues.push(
      issue(
        ["webhook", "url"],
        "required: this account has no webhook.url and there is no global one (webhook.url or STREAMHOOK_WEBHOOK_URL)",
      ),
    );
  }
  const secrets = signingSecrets(raw.name, w, globals);
  const { secret } = secrets;
  // Checked where it is written: a global previous_secret is checked against the global secret.
  if (w.previous_secret !== undefined && secret === undefined) {
    issues.push(issue(["webhook", "previous_secret"], PREVIOUS_WITHOUT_SECRET));
  }
  if (url === undefined || issues.length > 0) throw new ConfigError(issues);
  return {
    name: raw.name,
    source: context.source,
    stream: raw.stream,
    consumer: raw.consumer,
    tenantId: raw.tenant_id,
    credentialsFile: credentialsOf(raw, context),
    token: raw.token,
    user: raw.user,
    password: raw.password,
    servers: raw.servers ?? globals.servers,
    tls: globals.tls,
    webhook: {
      ...withoutSecrets(globals.webhook),
      ...withoutSecrets(camelized(w)),
      url,
      headers: { ...globals.webhook.headers, ...w.headers },
      ...(secrets.secret !== undefined && { secret: secrets.secret }),
      ...(secrets.previousSecret !== undefined && { previousSecret: secrets.previousSecret }),
    },
    secretSource: secrets.source,
    delivery: { ...accountDelivery(globals), ...camelized(d) },
    maxRetryAfter: globals.delivery.maxRetryAfter,
    maxMessageBytes: globals.delivery.maxMessageBytes,
    dlqSubject: raw.dlq_subject ?? globals.dlqSubject,
    paused: raw.paused ?? false,
  };
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

/**
 * Whether an account's credentials file lies inside the account's own directory once every
 * symlink is followed: otherwise one tenant's meta.yaml could name another tenant's creds
 * (`../globex/user.creds`) and pull its events. A file that does not exist yet is judged by where
 * its path points; reading it reports it missing.
 */
function insideDirectory(file: string, dir: string): boolean {
  const realDir = realpathSync(dir);
  let real: string;
  try {
    real = realpathSync(file);
  } catch {
    real = resolve(realDir, relative(dir, file));
  }
  const inside = relative(realDir, real);
  // `..data/user.creds` is inside (Kubernetes names its projection `..data`); `../x` is not.
  const outside = inside === ".." || inside.startsWith(`..${sep}`) || isAbsolute(inside);
  return inside !== "" && !outside;
}

/**
 * Validates the text of an account directory's meta.yaml (`path`, e.g. `<dir>/acme/meta.yaml`)
 * and resolves it against the globals. The account is named after its directory; a `name` in the
 * file must match it. Every problem is a ConfigError whose sources are `<path>:<line>`.
 *
 * The directory is less trusted than the operator's configuration (SPEC section 11): `${VAR}`
 * references are errors, never read from the environment, and the credentials file must be inside
 * the account's directory.
 */
export function parseAccountText(
  text: string,
  path: string,
  globals: AccountDefaults,
): AccountConfig {
  const dir = dirname(path);
  const name = basename(dir);
  const yaml = parseYamlSource(text, path, "refused");
  const sourceOf = (p: KeyPath): string => yaml.locate(p) ?? path;
  const value: Record<string, unknown> = { ...yaml.value };
  if (value.name === undefined) value.name = name;
  else if (value.name !== name) {
    throw new ConfigError([
      {
        key: "name",
        source: sourceOf(["name"]),
        message: `${JSON.stringify(value.name)} does not match the directory name ${JSON.stringify(name)}`,
      },
    ]);
  }
  const parsed = accountSchema.safeParse(value);
  if (!parsed.success) {
    throw new ConfigError(inReadingOrder(issuesFromZod(parsed.error, value, sourceOf)));
  }
  const account = resolveAccount(parsed.data, globals, {
    baseDir: dir,
    source: "directory",
    origin: path,
    sourceOf: (p) => yaml.locate(p),
    defaultCredentials: true,
  });
  if (account.credentialsFile !== undefined && !insideDirectory(account.credentialsFile, dir)) {
    throw new ConfigError([
      {
        key: "credentials_file",
        source: sourceOf(["credentials_file"]),
        message: "must be inside the account's directory, symlinks followed",
      },
    ]);
  }
  return account;
}

/** Reads, validates and resolves an account directory's meta.yaml; see parseAccountText. */
export function parseAccountFile(path: string, globals: AccountDefaults): AccountConfig {
  let text: string;
  try {
    text = readRegularFile(path);
  } catch (error) {
    const why = whyUnreadable(error);
    throw new ConfigError([{ key: "(file)", source: path, message: `cannot read: ${why}` }], {
      cause: error,
    });
  }
  return parseAccountText(text, path, globals);
}
