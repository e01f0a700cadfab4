import { z } from "zod";
import { invalidHostGlob } from "../delivery/allowed-hosts.js";
import { parseNetwork } from "../delivery/network-policy.js";
import { decodeSecret } from "../delivery/signing.js";
import { parseDuration } from "./duration.js";

// Field types shared by the global configuration and the account objects. Environment variables
// and flags arrive as strings, so numbers, lists, booleans and durations accept their string forms.

function splitList(value: unknown): unknown {
  if (typeof value !== "string") return value;
  return value
    .split(",")
    .map((part) => part.trim())
    .filter((part) => part !== "");
}

/** A whole number of at least `min`: 1 for counts and sizes, 0 where 0 switches a feature off. */
export const integer = (min: 0 | 1) => {
  const message = min === 1 ? "expected a positive integer" : "expected a non-negative integer";
  return z.preprocess(
    (v) => (typeof v === "string" && /^\s*-?\d+\s*$/.test(v) ? Number(v) : v),
    z.number({ error: message }).int(message).min(min, message),
  );
};

function durationAtLeast(min: 0 | 1) {
  return z.unknown().transform((value, ctx) => {
    let ms: number;
    try {
      ms = parseDuration(value);
    } catch (error) {
      ctx.addIssue({ code: "custom", message: (error as Error).message });
      return z.NEVER;
    }
    if (ms < min) {
      ctx.addIssue({ code: "custom", message: "must be longer than 0" });
      return z.NEVER;
    }
    return ms;
  });
}

/** Milliseconds; 0 allowed (a backoff of 0 retries at once). */
export const duration = durationAtLeast(0);
/** Milliseconds, more than 0: timeouts and intervals, where 0 would mean "never" or a busy loop. */
export const positiveDuration = durationAtLeast(1);

export const durationList = z.preprocess(
  splitList,
  z.array(duration, { error: "expected a list of durations" }).min(1, "needs at least one delay"),
);

export const statusList = z.preprocess(
  splitList,
  z.array(
    integer(1).pipe(
      z.number().min(100, "expected an HTTP status").max(599, "expected an HTTP status"),
    ),
    { error: "expected a list of HTTP statuses" },
  ),
);

export const booleanish = z.preprocess(
  (v) => (v === "true" ? true : v === "false" ? false : v),
  z.boolean({ error: "expected true or false" }),
);

export const httpUrl = z
  .string({ error: "expected an http:// or https:// URL" })
  .refine((value) => {
    try {
      const url = new URL(value);
      return (url.protocol === "http:" || url.protocol === "https:") && url.hostname !== "";
    } catch {
      return false;
    }
  }, "expected an http:// or https:// URL");

/**
 * The same check the signer makes, so a secret the configuration accepts can always sign. A raw
 * secret is refused rather than guessed at: receivers decode `whsec_` secrets, and signing with the
 * raw bytes instead would fail every verification. Messages never echo the value.
 */
export const webhookSecret = z
  .string({ error: 'expected a Standard Webhooks secret, "whsec_" followed by base64' })
  .refine((value) => {
    try {
      return decodeSecret(value).length > 0;
    } catch {
      return false;
    }
  }, 'expected a Standard Webhooks secret, "whsec_" followed by base64 (a raw secret is not accepted)');

export const PREVIOUS_WITHOUT_SECRET =
  "set without webhook.secret: the previous secret only signs alongside the current one";

export const webhookBody = z.enum(["payload", "envelope"], {
  error: 'expected "payload" or "envelope"',
});

/**
 * Headers that frame the request or concern one hop only: the HTTP client sets them itself, and a
 * configured one would break every request or send it elsewhere (`host`).
 */
const RESERVED_HEADERS = new Set([
  "host",
  "content-length",
  "transfer-encoding",
  "connection",
  "keep-alive",
  "upgrade",
  "te",
  "trailer",
  "expect",
  "proxy-connection",
  "proxy-authorization",
  "proxy-authenticate",
]);

/** YAML reads `x-version: 2` as a number; a header value is text either way. */
const headerValue = z.preprocess(
  (v) => (typeof v === "number" || typeof v === "boolean" ? String(v) : v),
  z
    .string({ error: "expected a string header value" })
    // Node's own rule for header values: tab and visible bytes; CR and LF would split the header.
    .regex(
      /^[\t\x20-\x7e\x80-\xff]*$/,
      "a header value must not contain CR, LF or other control characters",
    ),
);

const headerName = z
  .string()
  .regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, "not a valid header name")
  .refine(
    (name) => !RESERVED_HEADERS.has(name.toLowerCase()),
    "a framing or hop-by-hop header, which the HTTP client sets itself",
  );

export const headerMap = z.preprocess(
  (v) => {
    if (typeof v !== "string") return v;
    try {
      return JSON.parse(v) as unknown;
    } catch {
      return v;
    }
  },
  z.record(headerName, headerValue, {
    error: "expected a map of header names to strings (a JSON object in the environment)",
  }),
);

export const natsServers = z.preprocess(
  splitList,
  z
    .array(z.string().min(1), { error: "expected a list of NATS server URLs" })
    .min(1, "needs at least one server"),
);

export const tlsSchema = z.strictObject({
  ca_file: z.string().min(1).optional(),
  cert_file: z.string().min(1).optional(),
  key_file: z.string().min(1).optional(),
});

/** `webhook.allowed_hosts`: host names, where a `*` label stands for one or more labels. */
export const hostGlobList = z.preprocess(
  splitList,
  z.array(
    z.string().superRefine((value, ctx) => {
      const why = invalidHostGlob(value);
      if (why !== undefined) ctx.addIssue({ code: "custom", message: why });
    }),
    { error: "expected a list of host names, such as *.example.com" },
  ),
);

/** CIDRs (or single addresses) that the network policy lets webhooks reach (SPEC section 11). */
export const networkList = z.preprocess(
  splitList,
  z.array(
    z.string().superRefine((value, ctx) => {
      try {
        parseNetwork(value);
      } catch (error) {
        ctx.addIssue({ code: "custom", message: (error as Error).message });
      }
    }),
    { error: "expected a list of CIDRs, such as 10.0.0.0/8" },
  ),
);

export const ACCOUNT_NAME = /^[A-Za-z0-9_-]{1,64}$/;
