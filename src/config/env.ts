import { z } from "zod";
import { setPath } from "./key-path.js";
import { configSchema } from "./schema.js";
import type { SourceMap } from "./sources.js";

const PREFIX = "STREAMHOOK_";

/** The schema inside defaults, optionals and preprocessing, where an object's keys are. */
function unwrap(schema: z.ZodType): z.ZodType {
  if (schema instanceof z.ZodDefault || schema instanceof z.ZodPrefault) {
    return unwrap(schema.unwrap() as z.ZodType);
  }
  if (schema instanceof z.ZodOptional) return unwrap(schema.unwrap() as z.ZodType);
  return schema;
}

/**
 * Every key of the schema that is not an object itself (`webhook.timeout`, `nats.tls.ca_file`,
 * `webhook.headers`), as dotted paths, in the order the schema declares them.
 */
function leafKeys(schema: z.ZodType, prefix: string[] = []): string[][] {
  const inner = unwrap(schema);
  if (!(inner instanceof z.ZodObject)) return [prefix];
  return Object.entries(inner.shape as Record<string, z.ZodType>).flatMap(([key, field]) =>
    leafKeys(field, [...prefix, key]),
  );
}

/**
 * Environment variables and the configuration key each one sets: `STREAMHOOK_` and the key's path
 * in upper case, joined by `_`. The accounts come from a file or a directory; the one account the
 * environment alone can define is handled separately (see ENV_ACCOUNT).
 */
export const ENV_KEYS: Readonly<Record<string, string>> = Object.fromEntries(
  leafKeys(configSchema)
    .filter((path) => path[0] !== "accounts")
    .map((path) => [`${PREFIX}${path.join("_").toUpperCase()}`, path.join(".")]),
);

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
