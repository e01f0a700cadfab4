import type { JsMsg } from "@nats-io/jetstream";

export type BodyMode = "payload" | "envelope";

export interface BodyContext {
  readonly mode: BodyMode;
  readonly id: string;
  readonly account: string;
  readonly stream: string;
  readonly tenantId: string | undefined;
  readonly tenantField: string;
}

export type MessageView = Pick<JsMsg, "data" | "subject" | "seq" | "headers" | "timestampNanos">;

export type BodyResult =
  { readonly ok: true; readonly body: Buffer } | { readonly ok: false; readonly error: string };

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function parseJson(data: Uint8Array): { ok: true; value: unknown } | { ok: false; error: string } {
  let text: string;
  try {
    text = strictUtf8.decode(data);
  } catch {
    return { ok: false, error: "payload is not valid UTF-8" };
  }
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false, error: "payload is not JSON" };
  }
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return `a ${typeof value}`;
}

/** Sets the account's tenant on an object; the account's value always wins over the payload's. */
function stamp(object: JsonObject, context: BodyContext): JsonObject {
  if (context.tenantId === undefined) return object;
  if (context.tenantField === "__proto__") {
    // The one name whose assignment would set the prototype instead of a field.
    Object.defineProperty(object, context.tenantField, {
      value: context.tenantId,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  } else {
    // A plain assignment keeps the object in V8's fast mode; defineProperty made stringify slow.
    object[context.tenantField] = context.tenantId;
  }
  return object;
}

function headersOf(msg: MessageView): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  const headers = msg.headers;
  if (headers === undefined) return out;
  for (const key of headers.keys()) out[key] = headers.values(key);
  return out;
}

function isoTimestamp(nanos: bigint): string {
  return new Date(Number(nanos / 1_000_000n)).toISOString();
}

/**
 * The request body for a message. In `payload` mode the message must be a JSON object, and it is
 * forwarded byte for byte unless a tenant must be stamped on it. In `envelope` mode every message
 * can be delivered: data that is not JSON travels as base64.
 */
export function buildBody(msg: MessageView, context: BodyContext): BodyResult {
  const parsed = parseJson(msg.data);
  if (context.mode === "payload") {
    if (!parsed.ok) return parsed;
    if (!isObject(parsed.value)) {
      return { ok: false, error: `payload is JSON but ${describe(parsed.value)}, not an object` };
    }
    if (context.tenantId === undefined) {
      return {
        ok: true,
        body: Buffer.from(msg.data.buffer, msg.data.byteOffset, msg.data.byteLength),
      };
    }
    return { ok: true, body: Buffer.from(JSON.stringify(stamp(parsed.value, context))) };
  }
  const envelope: JsonObject = {
    id: context.id,
    tenant_id: context.tenantId ?? null,
    account: context.account,
    subject: msg.subject,
    stream: context.stream,
    sequence: msg.seq,
    timestamp: isoTimestamp(msg.timestampNanos),
    headers: headersOf(msg),
  };
  if (parsed.ok) {
    envelope.data = isObject(parsed.value) ? stamp(parsed.value, context) : parsed.value;
  } else {
    envelope.data_base64 = Buffer.from(msg.data).toString("base64");
  }
  return { ok: true, body: Buffer.from(JSON.stringify(envelope)) };
}
