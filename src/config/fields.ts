import { z } from "zod";
import { decodeSecret } from "../delivery/signing.js";
import { parseDuration } from "./duration.js";

// Field types shared by the global configuration and the account objects. Environment variables
// arrive as strings, so numbers, lists and durations accept their string forms too.

function splitList(value: unknown): unknown {
  if (typeof value !== "string") return value;
  return value
    .split(",")
    .map((part) => part.trim())
    .filter((part) => part !== "");
}

export const integer = (min: number) =>
  z.preprocess(
    (v) => (typeof v === "string" && /^\s*-?\d+\s*$/.test(v) ? Number(v) : v),
    z.number({ error: "expected a whole number" }).int("expected a whole number").min(min),
  );

export const duration = z.unknown().transform((value, ctx) => {
  try {
    return parseDuration(value);
  } catch (error) {
    ctx.addIssue({ code: "custom", message: (error as Error).message });
    return z.NEVER;
  }
});

export const durationList = z.preprocess(
  splitList,
  z.array(duration).min(1, "needs at least one delay"),
);

export const stringList = z.preprocess(splitList, z.array(z.string().min(1)));

export const statusList = z.preprocess(
  splitList,
  z.array(integer(100).pipe(z.number().max(599, "expected an HTTP status"))),
);

export const booleanish = z.preprocess(
  (v) => (v === "true" ? true : v === "false" ? false : v),
  z.boolean({ error: "expected true or false" }),
);

export const httpUrl = z.string().refine((value) => {
  try {
    const url = new URL(value);
    return url.protocol === "http:" || url.protocol === "https:";
  } catch {
    return false;
  }
}, "expected an http:// or https:// URL");

/** Never echoes the value: it is a secret. */
export const webhookSecret = z.string().refine((value) => {
  try {
    decodeSecret(value);
    return true;
  } catch {
    return false;
  }
}, 'expected a Standard Webhooks secret: "whsec_" followed by base64');

export const headerMap = z.preprocess(
  (v) => {
    if (typeof v !== "string") return v;
    try {
      return JSON.parse(v) as unknown;
    } catch {
      return v;
    }
  },
  z.record(
    z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, "not a valid header name"),
    z.string(),
    {
      error: "expected a map of header names to strings (a JSON object in the environment)",
    },
  ),
);

export const natsServers = z.preprocess(splitList, z.array(z.string().min(1)).min(1));

export const tlsSchema = z.strictObject({
  ca_file: z.string().optional(),
  cert_file: z.string().optional(),
  key_file: z.string().optional(),
});

/** The `webhook.*` keys; every one optional so an account can override any subset. */
export const webhookOverrides = z.strictObject({
  url: httpUrl.optional(),
  secret: webhookSecret.optional(),
  previous_secret: webhookSecret.optional(),
  headers: headerMap.optional(),
  timeout: duration.optional(),
  body: z.enum(["payload", "envelope"]).optional(),
  tenant_field: z.string().min(1).optional(),
  allowed_hosts: stringList.optional(),
  max_connections: integer(1).optional(),
});

export const accountDeliveryOverrides = z.strictObject({
  max_attempts: integer(1).optional(),
  backoff: durationList.optional(),
  account_concurrency: integer(1).optional(),
  terminal_statuses: statusList.optional(),
});

export const ACCOUNT_NAME = /^[A-Za-z0-9_-]{1,64}$/;

export const accountSchema = z.strictObject({
  name: z.string().regex(ACCOUNT_NAME, "expected 1 to 64 of A-Z, a-z, 0-9, _ and -"),
  stream: z.string().min(1),
  consumer: z.string().min(1),
  tenant_id: z.string().min(1).optional(),
  credentials_file: z.string().min(1).optional(),
  token: z.string().min(1).optional(),
  user: z.string().min(1).optional(),
  password: z.string().optional(),
  servers: natsServers.optional(),
  webhook: webhookOverrides.optional(),
  delivery: accountDeliveryOverrides.optional(),
  dlq_subject: z.string().min(1).optional(),
  paused: booleanish.optional(),
});

export type RawAccount = z.output<typeof accountSchema>;
