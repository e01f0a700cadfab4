// Every configuration key of SPEC sections 2 and 3, declared once: its YAML name, its type and its
// default. The resolved types (types.ts), the environment variables (env.ts) and what an account
// may override are derived from what is written here.
import { z } from "zod";
import {
  ACCOUNT_NAME,
  booleanish,
  duration,
  durationList,
  headerMap,
  hostGlobList,
  httpUrl,
  integer,
  natsServers,
  networkList,
  positiveDuration,
  PREVIOUS_WITHOUT_SECRET,
  statusList,
  tlsSchema,
  webhookBody,
  webhookSecret,
} from "./fields.js";

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

/** `host:port`, `[v6]:port`, `:port` (every interface) or `off`. */
const listen = z.string({ error: 'expected "host:port" or "off"' }).transform((value, ctx) => {
  if (value === "off") return undefined;
  const match = /^(\[[^\]]*\]|[^:]*):(\d{1,5})$/.exec(value);
  const port = Number(match?.[2]);
  if (match === null || port > 65_535) {
    ctx.addIssue({ code: "custom", message: 'expected "host:port" (port 0 to 65535) or "off"' });
    return z.NEVER;
  }
  const host = (match[1] ?? "").replace(/^\[(.*)\]$/, "$1");
  return { host: host === "" ? "0.0.0.0" : host, port };
});

/** `webhook.*`: every account inherits these, and may override them. */
const webhookKeys = {
  url: httpUrl.optional(),
  secret: webhookSecret.optional(),
  previous_secret: webhookSecret.optional(),
  headers: headerMap.default({}),
  timeout: positiveDuration.default(10_000),
  body: webhookBody.default("payload"),
  tenant_field: z.string().min(1).default("tenant_id"),
  allowed_hosts: hostGlobList.default([]),
  allowed_networks: networkList.default([]),
  max_connections: integer(1).default(32),
  /** Requests per second per account; 0: no limit. */
  rate_limit: integer(0).default(0),
};

/** `webhook.*` keys only the operator's configuration may set: no account can widen them. */
export const GLOBAL_ONLY_WEBHOOK_KEYS = ["allowed_hosts", "allowed_networks"] as const;

/** `delivery.*`. */
const deliveryKeys = {
  concurrency: integer(1).default(64),
  account_concurrency: integer(1).default(32),
  max_attempts: integer(1).default(10),
  backoff: durationList.default([1_000, 5_000, 30_000, 120_000, 600_000, 1_800_000, 3_600_000]),
  max_retry_after: duration.default(3_600_000),
  // Not 410: a receiver that answers 410 Gone disables its account's endpoint (SPEC section 13).
  terminal_statuses: statusList.default([400, 413, 415, 422]),
  pull_batch: integer(1).default(256),
  queue_capacity: integer(1).default(1024),
  queue_bytes: integer(1).default(64 * 1024 * 1024),
  max_message_bytes: integer(1).default(1024 * 1024),
};

/** The `delivery.*` keys an account may set for itself; the others are the daemon's. */
export const ACCOUNT_DELIVERY_KEYS = [
  "max_attempts",
  "backoff",
  "account_concurrency",
  "terminal_statuses",
] as const;

type Override<T> = T extends z.ZodDefault<infer Inner> ? z.ZodOptional<Inner> : T;

/**
 * The same keys with their defaults taken off, for an account's overrides: a key the account does
 * not set must stay unset, so that the global value applies.
 */
function overridesOf<S extends Record<string, z.ZodType>>(
  shape: S,
): { [K in keyof S]: Override<S[K]> } {
  const out: Record<string, z.ZodType> = {};
  for (const [key, schema] of Object.entries(shape)) {
    out[key] = schema instanceof z.ZodDefault ? (schema.unwrap() as z.ZodType).optional() : schema;
  }
  return out as { [K in keyof S]: Override<S[K]> };
}

function pick<S extends Record<string, unknown>, K extends keyof S>(
  shape: S,
  keys: readonly K[],
): Pick<S, K> {
  const out = {} as Pick<S, K>;
  for (const key of keys) out[key] = shape[key];
  return out;
}

function omit<S extends Record<string, unknown>, K extends keyof S>(
  shape: S,
  keys: readonly K[],
): Omit<S, K> {
  const dropped = new Set<keyof S>(keys);
  return Object.fromEntries(Object.entries(shape).filter(([key]) => !dropped.has(key))) as Omit<
    S,
    K
  >;
}

/** The global `webhook.*`, with the defaults of SPEC section 2. */
const webhookSchema = z
  .strictObject(webhookKeys)
  .refine((w) => w.previous_secret === undefined || w.secret !== undefined, {
    path: ["previous_secret"],
    message: PREVIOUS_WITHOUT_SECRET,
  });

const deliverySchema = z.strictObject(deliveryKeys);

const AUTH_CONFLICT = "use one way to authenticate: credentials_file, token, or user and password";

/** An account object (SPEC section 3), in `accounts:` or a directory's meta.yaml. */
export const accountSchema = z
  .strictObject({
    name: z.string().regex(ACCOUNT_NAME, "expected 1 to 64 of A-Z, a-z, 0-9, _ and -"),
    stream: z.string().min(1),
    consumer: z.string().min(1),
    tenant_id: z.string().min(1).optional(),
    credentials_file: z.string().min(1).optional(),
    token: z.string().min(1).optional(),
    user: z.string().min(1).optional(),
    password: z.string().optional(),
    servers: natsServers.optional(),
    webhook: z.strictObject(overridesOf(omit(webhookKeys, GLOBAL_ONLY_WEBHOOK_KEYS))).optional(),
    delivery: z.strictObject(overridesOf(pick(deliveryKeys, ACCOUNT_DELIVERY_KEYS))).optional(),
    dlq_subject: z.string().min(1).optional(),
    paused: booleanish.optional(),
  })
  .superRefine((account, ctx) => {
    const userPass = account.user !== undefined || account.password !== undefined;
    if (account.token !== undefined && (account.credentials_file !== undefined || userPass)) {
      ctx.addIssue({ code: "custom", path: ["token"], message: AUTH_CONFLICT });
    } else if (userPass && account.credentials_file !== undefined) {
      ctx.addIssue({ code: "custom", path: ["user"], message: AUTH_CONFLICT });
    }
    if (account.user !== undefined && account.password === undefined) {
      ctx.addIssue({ code: "custom", path: ["password"], message: "required with user" });
    }
    if (account.password !== undefined && account.user === undefined) {
      ctx.addIssue({ code: "custom", path: ["user"], message: "required with password" });
    }
  });

export type RawAccount = z.output<typeof accountSchema>;

// Every section is prefaulted with {} so that its own field defaults apply when it is absent.

/** The whole configuration, in its YAML (snake_case) form, with the defaults of the contract. */
export const configSchema = z.strictObject({
  nats: z
    .strictObject({
      servers: natsServers.default(["nats://127.0.0.1:4222"]),
      tls: tlsSchema.optional(),
    })
    .prefault({}),
  accounts_dir: z.string().min(1).optional(),
  accounts_rescan_interval: positiveDuration.default(30_000),
  accounts: z.array(accountSchema, { error: "expected a list of accounts" }).default([]),
  webhook: webhookSchema.prefault({}),
  delivery: deliverySchema.prefault({}),
  breaker: z
    .strictObject({
      failure_threshold: integer(0).default(10),
      cooldown: positiveDuration.default(5_000),
      max_cooldown: positiveDuration.default(120_000),
    })
    .prefault({})
    .refine((b) => b.max_cooldown >= b.cooldown, {
      path: ["max_cooldown"],
      message: "must not be shorter than breaker.cooldown",
    }),
  dlq: z.strictObject({ subject: z.string().min(1).optional() }).prefault({}),
  http: z
    .strictObject({
      listen: listen.prefault("0.0.0.0:8080"),
      /** Bearer token for `/accounts` and `/metrics`; the probes stay open. */
      token: z.string().min(1).optional(),
    })
    .prefault({}),
  /**
   * Operator events (SPEC section 13). The operator's own endpoint, so global only; off while
   * `url` is unset.
   */
  events: z
    .strictObject({
      url: httpUrl.optional(),
      /** Default: `webhook.secret` (with `webhook.previous_secret`). */
      secret: webhookSecret.optional(),
      /** Per attempt, and the most shutdown waits for the events still queued. */
      timeout: positiveDuration.default(5_000),
    })
    .prefault({}),
  log: z
    .strictObject({
      level: z
        .enum(LOG_LEVELS, { error: `expected one of ${LOG_LEVELS.join(", ")}` })
        .default("info"),
      format: z.enum(["json", "pretty"], { error: 'expected "json" or "pretty"' }).default("json"),
    })
    .prefault({}),
  shutdown_timeout: duration.default(25_000),
});

export type RawConfig = z.output<typeof configSchema>;
