import type { JsMsg } from "@nats-io/jetstream";

export type BodyMode = "payload" | "envelope";

/** What the body depends on besides the message: the account's settings, fixed per session. */
export interface BodyTarget {
  readonly body: BodyMode;
  readonly account: string;
  readonly stream: string;
  readonly tenantId: string | undefined;
  readonly tenantField: string;
  /** `"<tenant_field>":"<tenant_id>"` as JSON bytes, or undefined without a tenant. */
  readonly tenantStamp: Buffer | undefined;
}

/** The JSON member that stamps the account's tenant, made once per account. */
export function tenantStamp(tenantField: string, tenantId: string | undefined): Buffer | undefined {
  if (tenantId === undefined) return undefined;
  return Buffer.from(`${JSON.stringify(tenantField)}:${JSON.stringify(tenantId)}`);
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

/**
 * Whether two member names are equal ignoring case, code point by code point: what decoders that
 * match names case-insensitively (Go's encoding/json, with simple Unicode case folding) take as
 * the same member. Comparing both the lower- and the upper-case forms of each code point covers
 * the folds that lower-casing alone misses (the long s, the Kelvin sign); it also matches a few
 * pairs that folding keeps apart (the dotless i), which only removes more.
 */
export function foldEquals(a: string, b: string): boolean {
  if (a === b) return true;
  // Simple folding never maps between the basic and the astral planes, so lengths must agree;
  // code points, not code units, are what fold.
  if (a.length !== b.length) return false;
  const left = Array.from(a);
  const right = Array.from(b);
  if (left.length !== right.length) return false;
  for (let i = 0; i < left.length; i++) {
    const x = left[i] ?? "";
    const y = right[i] ?? "";
    if (x === y) continue;
    if (x.toLowerCase() !== y.toLowerCase() && x.toUpperCase() !== y.toUpperCase()) return false;
  }
  return true;
}

/** Whether the object has a member that a receiver could take for the tenant field. */
function hasTenantMember(object: JsonObject, field: string): boolean {
  for (const key in object) if (foldEquals(key, field)) return true;
  return false;
}

/** Sets `key` as an own member, even `__proto__`, whose assignment would set the prototype. */
function setMember(object: JsonObject, key: string, value: unknown): void {
  if (key === "__proto__") {
    Object.defineProperty(object, key, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  } else {
    object[key] = value;
  }
}

/**
 * The object with the account's tenant as its first member and every member a receiver could
 * take for the tenant field (any case) removed: the account's value is the only one left, so no
 * decoder can pick the payload's own instead.
 */
function stamp(object: JsonObject, target: BodyTarget): JsonObject {
  if (target.tenantId === undefined) return object;
  const out: JsonObject = {};
  setMember(out, target.tenantField, target.tenantId);
  for (const key in object) {
    if (!foldEquals(key, target.tenantField)) setMember(out, key, object[key]);
  }
  return out;
}

/** JSON.stringify, or why it could not (a cycle is impossible here; depth overflows the stack). */
function serialise(value: unknown): BodyResult {
  try {
    return { ok: true, body: Buffer.from(JSON.stringify(value)) };
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    return { ok: false, error: `payload cannot be re-serialised: ${why}` };
  }
}

const OPEN_BRACE = 0x7b;
const COMMA = Buffer.from(",");

/**
 * The payload's own bytes with the tenant member inserted right after its opening brace, for an
 * object that does not have the field yet. Everything the sender wrote stays as it was: numbers
 * beyond double precision, escapes, key order. It also halves the cost of re-serialising.
 */
function withStampFirst(data: Uint8Array, object: JsonObject, member: Buffer): Buffer {
  // JSON.parse accepted an object, so the first byte that is not whitespace is its brace.
  let brace = 0;
  while (data[brace] !== OPEN_BRACE) brace++;
  const inside = data.subarray(brace + 1);
  let empty = true;
  for (const _ in object) {
    empty = false;
    break;
  }
  const parts = [data.subarray(0, brace + 1), member];
  if (!empty) parts.push(COMMA);
  parts.push(inside);
  return Buffer.concat(parts);
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
export function buildBody(msg: MessageView, target: BodyTarget, id: string): BodyResult {
  const parsed = parseJson(msg.data);
  if (target.body === "payload") {
    if (!parsed.ok) return parsed;
    const object = parsed.value;
    if (!isObject(object)) {
      return { ok: false, error: `payload is JSON but ${describe(object)}, not an object` };
    }
    if (target.tenantStamp === undefined) {
      return {
        ok: true,
        body: Buffer.from(msg.data.buffer, msg.data.byteOffset, msg.data.byteLength),
      };
    }
    // A payload that names a tenant itself, in any case, is re-serialised without it; the others
    // keep their bytes, with the account's member inserted.
    if (target.tenantField === "__proto__" || hasTenantMember(object, target.tenantField)) {
      return serialise(stamp(object, target));
    }
    return { ok: true, body: withStampFirst(msg.data, object, target.tenantStamp) };
  }
  const envelope: JsonObject = {
    id,
    tenant_id: target.tenantId ?? null,
    account: target.account,
    subject: msg.subject,
    stream: target.stream,
    sequence: msg.seq,
    timestamp: isoTimestamp(msg.timestampNanos),
    headers: headersOf(msg),
  };
  if (parsed.ok) {
    envelope.data = isObject(parsed.value) ? stamp(parsed.value, target) : parsed.value;
  } else {
    envelope.data_base64 = Buffer.from(msg.data).toString("base64");
  }
  return serialise(envelope);
}
