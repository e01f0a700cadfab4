import { z } from "zod";
import {
  accountSchema,
  duration,
  durationList,
  integer,
  natsServers,
  statusList,
  tlsSchema,
  webhookOverrides,
} from "./fields.js";

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

/** The whole configuration, in its YAML (snake_case) form, with the defaults of the contract. */
export const configSchema = z.strictObject({
  nats: z
    .strictObject({
      servers: natsServers.default(["nats://127.0.0.1:4222"]),
      tls: tlsSchema.optional(),
    })
    .default({ servers: ["nats://127.0.0.1:4222"] }),
  accounts_dir: z.string().min(1).optional(),
  accounts_rescan_interval: duration.default(30_000),
  accounts: z.array(accountSchema).default([]),
  webhook: webhookOverrides.default({}),
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
    })
    .default({
      concurrency: 64,
      account_concurrency: 32,
      max_attempts: 10,
      backoff: [1_000, 5_000, 30_000, 120_000, 600_000, 1_800_000, 3_600_000],
      max_retry_after: 3_600_000,
      terminal_statuses: [400, 410, 413, 415, 422],
      pull_batch: 256,
      queue_capacity: 1024,
    }),
  breaker: z
    .strictObject({
      failure_threshold: integer(0).default(10),
      cooldown: duration.default(5_000),
      max_cooldown: duration.default(120_000),
    })
    .default({ failure_threshold: 10, cooldown: 5_000, max_cooldown: 120_000 }),
  dlq: z.strictObject({ subject: z.string().min(1).optional() }).default({}),
  http: z
    .strictObject({
      listen: z
        .string()
        .regex(/^(off|.+:\d{1,5})$/, 'expected "host:port" or "off"')
        .default("0.0.0.0:8080"),
    })
    .default({ listen: "0.0.0.0:8080" }),
  log: z
    .strictObject({
      level: z.enum(LOG_LEVELS).default("info"),
      format: z.enum(["json", "pretty"]).default("json"),
    })
    .default({ level: "info", format: "json" }),
  shutdown_timeout: duration.default(25_000),
});

export type RawConfig = z.output<typeof configSchema>;
