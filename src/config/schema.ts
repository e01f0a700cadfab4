import { z } from "zod";
import {
  accountSchema,
  duration,
  durationList,
  headerMap,
  integer,
  natsServers,
  positiveDuration,
  PREVIOUS_WITHOUT_SECRET,
  statusList,
  stringList,
  tlsSchema,
  webhookBody,
  webhookOverrides,
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

// Every section is prefaulted with {} so that its own field defaults apply when it is absent:
// the defaults of SPEC section 2 are written once, here.

/** The global `webhook.*`: the account overrides plus the defaults every account inherits. */
const webhookSchema = webhookOverrides
  .extend({
    headers: headerMap.default({}),
    timeout: positiveDuration.default(10_000),
    body: webhookBody.default("payload"),
    tenant_field: z.string().min(1).default("tenant_id"),
    allowed_hosts: stringList.default([]),
    max_connections: integer(1).default(32),
  })
  .refine((w) => w.previous_secret === undefined || w.secret !== undefined, {
    path: ["previous_secret"],
    message: PREVIOUS_WITHOUT_SECRET,
  });

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
  delivery: z
    .strictObject({
      concurrency: integer(1).default(64),
      account_concurrency: integer(1).default(32),
      max_attempts: integer(1).default(10),
      backoff: durationList.default([1_000, 5_000, 30_000, 120_000, 600_000, 1_800_000, 3_600_000]),
      max_retry_after: duration.default(3_600_000),
      terminal_statuses: statusList.default([400, 410, 413, 415, 422]),
      pull_batch: integer(1).default(256),
      queue_capacity: integer(1).default(1024),
      queue_bytes: integer(1).default(64 * 1024 * 1024),
      max_message_bytes: integer(1).default(1024 * 1024),
    })
    .prefault({}),
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
  http: z.strictObject({ listen: listen.prefault("0.0.0.0:8080") }).prefault({}),
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
