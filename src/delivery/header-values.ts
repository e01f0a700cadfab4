// Publisher bytes that travel in request headers, made safe to send: a subject or a trace header
// is the publisher's to choose, and a byte undici refuses would fail the request before it leaves.
import { Match, type MsgHdrs } from "@nats-io/transport-node";

/** Visible ASCII except `%`, which encodes the rest. */
const PLAIN_SUBJECT = /^[\x21-\x24\x26-\x7e]*$/;
const HEX = "0123456789ABCDEF";

/**
 * The subject as the `streamhook-subject` header carries it: every byte of its UTF-8 form outside
 * visible ASCII, and `%` itself, percent-encoded, so the header always decodes back to the subject.
 */
export function subjectHeader(subject: string): string {
  if (PLAIN_SUBJECT.test(subject)) return subject;
  let out = "";
  for (const byte of Buffer.from(subject, "utf8")) {
    if (byte > 0x20 && byte < 0x7f && byte !== 0x25) out += String.fromCharCode(byte);
    else out += `%${HEX[byte >> 4] ?? ""}${HEX[byte & 15] ?? ""}`;
  }
  return out;
}

/**
 * W3C Trace Context `traceparent`: version, trace id, parent id, flags. Version `ff` is invalid,
 * and version 00 has nothing after the flags; a later version may append `-` and more.
 */
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}(-[\x21-\x7e]*)?$/;
const ZERO_TRACE_ID = "0".repeat(32);
const ZERO_PARENT_ID = "0".repeat(16);

export function validTraceparent(value: string): boolean {
  const match = TRACEPARENT.exec(value);
  if (match === null) return false;
  const [, version, traceId, parentId, rest] = match;
  if (version === "ff" || traceId === ZERO_TRACE_ID || parentId === ZERO_PARENT_ID) return false;
  return version !== "00" || rest === undefined;
}

/** A `tracestate` list member: a simple or multi-tenant key, `=`, and an opaque value. */
const TRACESTATE_MEMBER =
  /^(?:[a-z][_0-9a-z\-*/]{0,255}|[a-z0-9][_0-9a-z\-*/]{0,240}@[a-z][_0-9a-z\-*/]{0,13})=[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]$/;
/** What the W3C recommendation asks a vendor to propagate at least; longer is dropped whole. */
const MAX_TRACESTATE = 512;
const MAX_TRACESTATE_MEMBERS = 32;

export function validTracestate(value: string): boolean {
  if (value.length > MAX_TRACESTATE) return false;
  const members = value.split(",");
  if (members.length > MAX_TRACESTATE_MEMBERS) return false;
  // Empty members (and the spaces and tabs around members) are allowed.
  return members.every((raw) => {
    const member = raw.replace(/^[ \t]+|[ \t]+$/g, "");
    return member === "" || TRACESTATE_MEMBER.test(member);
  });
}

/**
 * The trace context headers to pass on, as undici's flat `[name, value, ...]` pairs: a valid
 * `traceparent`, and with it a valid `tracestate`. A `tracestate` without a valid parent means
 * nothing (the recommendation discards it), and an invalid value of either is dropped, never
 * repaired: the receiver then starts a trace of its own.
 */
export function traceHeaders(headers: MsgHdrs | undefined): string[] {
  if (headers === undefined) return [];
  const parent = headers.get("traceparent", Match.IgnoreCase);
  if (parent === "" || !validTraceparent(parent)) return [];
  const state = headers.get("tracestate", Match.IgnoreCase);
  return state !== "" && validTracestate(state)
    ? ["traceparent", parent, "tracestate", state]
    : ["traceparent", parent];
}
