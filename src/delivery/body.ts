import type { PulledMessage } from "../nats/pulled-message.js";
import {
  MAX_PAYLOAD_NESTING,
  objectLayout,
  skipSpace,
  skipSpaceBack,
  valueEnd,
} from "./json-members.js";

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

export type MessageView = Pick<
  PulledMessage,
  "data" | "subject" | "seq" | "headers" | "publishedMs"
>;

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

/** The names of the object's members that a receiver could take for the tenant field. */
function tenantNames(object: JsonObject, field: string): string[] | undefined {
  let names: string[] | undefined;
  for (const key in object) if (foldEquals(key, field)) (names ??= []).push(key);
  return names;
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
const CLOSE_BRACE = 0x7d;
const COMMA = 0x2c;
const COLON = 0x3a;
const BACKSLASH = 0x5c;

function bytesOf(data: Uint8Array): Buffer {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/**
 * Whether the member name between the quotes at `open` and `close` is one of `names`. A name
 * without escapes is its own UTF-8 bytes, so only a name of a candidate's length is decoded.
 */
function isOneOf(data: Buffer, open: number, close: number, names: readonly string[]): boolean {
  for (let at = open + 1; at < close; at++) {
    if (data[at] === BACKSLASH) {
      const name = JSON.parse(data.toString("utf8", open, close + 1)) as string;
      return names.includes(name);
    }
  }
  const length = close - open - 1;
  for (const name of names) {
    if (Buffer.byteLength(name) === length && data.toString("utf8", open + 1, close) === name) {
      return true;
    }
  }
  return false;
}

/**
 * A payload this short cannot nest deeper than the limit: every level takes an opening and a
 * closing byte.
 */
const SHALLOW_BYTES = 2 * MAX_PAYLOAD_NESTING;

/**
 * The payload's own bytes with the account's member inserted first: every byte the sender wrote
 * stays as it was (numbers beyond double precision, escapes, key order).
 */
function insertFirst(data: Buffer, member: Buffer): BodyResult {
  if (data.length > SHALLOW_BYTES) {
    const scanned = objectLayout(data);
    if (!scanned.ok) return scanned;
  }
  // JSON.parse accepted an object, so the first byte that is not whitespace is its brace.
  let brace = 0;
  while (data[brace] !== OPEN_BRACE) brace++;
  let next = brace + 1;
  // Only whitespace can come before the first member or the closing brace.
  while ((data[next] ?? CLOSE_BRACE) <= 0x20) next++;
  const comma = data[next] === CLOSE_BRACE ? 0 : 1;
  const body = Buffer.allocUnsafe(data.length + member.length + comma);
  data.copy(body, 0, 0, brace + 1);
  member.copy(body, brace + 1);
  if (comma === 1) body[brace + 1 + member.length] = COMMA;
  data.copy(body, brace + 1 + member.length + comma, brace + 1);
  return { ok: true, body };
}

/**
 * The account's member first, then every member of the payload but those a receiver could take
 * for the tenant field (`names`, found in the parsed object), each with the bytes the sender
 * wrote. Runs of kept members are copied whole.
 */
function replaceTenantMembers(data: Buffer, names: readonly string[], member: Buffer): BodyResult {
  let runs = runsAroundLoneMember(data, names);
  if (runs === undefined) {
    const scanned = keptRuns(data, names);
    if (!scanned.ok) return scanned;
    runs = scanned.runs;
  }
  let length = 2 + member.length;
  for (let i = 0; i < runs.length; i += 2) length += 1 + (runs[i + 1] ?? 0) - (runs[i] ?? 0);
  const body = Buffer.allocUnsafe(length);
  body[0] = OPEN_BRACE;
  let at = 1 + member.copy(body, 1);
  for (let i = 0; i < runs.length; i += 2) {
    body[at++] = COMMA;
    at += data.copy(body, at, runs[i], runs[i + 1]);
  }
  body[at] = CLOSE_BRACE;
  return { ok: true, body };
}

/** The kept members as `[start, end)` runs, from the layout of every member. */
function keptRuns(
  data: Buffer,
  names: readonly string[],
): { ok: true; runs: number[] } | { ok: false; error: string } {
  const scanned = objectLayout(data);
  if (!scanned.ok) return scanned;
  const { members } = scanned.layout;
  const runs: number[] = [];
  for (let i = 0; i < members.length; i += 3) {
    const start = members[i] ?? 0;
    const end = members[i + 2] ?? 0;
    if (isOneOf(data, start, members[i + 1] ?? 0, names)) continue;
    const last = runs.length - 1;
    // The previous member was kept too (its run ends where it ended): extend that run over the
    // separator between them.
    if (last > 0 && runs[last] === members[i - 1]) runs[last] = end;
    else runs.push(start, end);
  }
  return { ok: true, runs };
}

/**
 * The last name looked for, as the bytes of its JSON string: a search for a string encodes it on
 * every call.
 */
let lastQuoted = { name: "", bytes: Buffer.from('""') };

function quotedBytes(name: string): Buffer {
  if (lastQuoted.name !== name) lastQuoted = { name, bytes: Buffer.from(`"${name}"`) };
  return lastQuoted.bytes;
}

/** Bytes that can follow a string's closing quote in JSON. */
const AFTER_STRING = new Set([0x3a, 0x2c, 0x7d, 0x5d, 0x20, 0x0a, 0x0d, 0x09]);

/**
 * The kept runs of the common case, found without walking the whole payload: one member to cut,
 * and a payload without a backslash. Without escapes every string is its own bytes, so when the
 * quoted name occurs once it can only be that top-level member (the parsed object has it, and any
 * other string or key spelled so would be a second occurrence); a name that cannot follow a
 * closing quote makes sure the match starts at an opening one. Undefined when any of that does
 * not hold, or the payload is long enough to need the nesting check: the full layout decides.
 */
function runsAroundLoneMember(data: Buffer, names: readonly string[]): number[] | undefined {
  const name = names.length === 1 ? names[0] : undefined;
  if (name === undefined || name === "" || data.length > SHALLOW_BYTES) return undefined;
  if (AFTER_STRING.has(name.charCodeAt(0)) || data.includes(BACKSLASH)) return undefined;
  const quoted = quotedBytes(name);
  const start = data.indexOf(quoted);
  if (start < 0 || data.indexOf(quoted, start + 1) >= 0) return undefined;
  let at = skipSpace(data, start + quoted.length);
  if (data[at] !== COLON) return undefined;
  let end: number;
  try {
    end = valueEnd(data, skipSpace(data, at + 1), MAX_PAYLOAD_NESTING);
  } catch {
    return undefined;
  }
  if (end < 0) return undefined;
  const open = data.indexOf(OPEN_BRACE);
  const close = data.lastIndexOf(CLOSE_BRACE);
  const runs: number[] = [];
  // A member before this one: the run from the first member to the end of the one before.
  at = skipSpaceBack(data, start - 1);
  if (data[at] === COMMA) runs.push(skipSpace(data, open + 1), skipSpaceBack(data, at - 1) + 1);
  // A member after it: the run from the next member to the end of the last.
  at = skipSpace(data, end);
  if (data[at] === COMMA) runs.push(skipSpace(data, at + 1), skipSpaceBack(data, close - 1) + 1);
  return runs;
}

function headersOf(msg: MessageView): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  const headers = msg.headers;
  if (headers === undefined) return out;
  for (const key of headers.keys()) out[key] = headers.values(key);
  return out;
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
    const data = bytesOf(msg.data);
    if (target.tenantStamp === undefined) return { ok: true, body: data };
    // A payload naming the tenant itself, in any case, loses those members; payloads deeper
    // than the nesting limit are refused either way, as they would be when re-serialised.
    const names = tenantNames(object, target.tenantField);
    if (names === undefined) return insertFirst(data, target.tenantStamp);
    return replaceTenantMembers(data, names, target.tenantStamp);
  }
  const envelope: JsonObject = {
    id,
    tenant_id: target.tenantId ?? null,
    account: target.account,
    subject: msg.subject,
    stream: target.stream,
    sequence: msg.seq,
    timestamp: new Date(msg.publishedMs).toISOString(),
    headers: headersOf(msg),
  };
  if (parsed.ok) {
    envelope.data = isObject(parsed.value) ? stamp(parsed.value, target) : parsed.value;
  } else {
    envelope.data_base64 = Buffer.from(msg.data).toString("base64");
  }
  return serialise(envelope);
}
