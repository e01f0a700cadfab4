// Where each top-level member of a JSON object sits in its bytes. Stamping a payload that names
// the tenant itself then removes those members by splicing the bytes around them, instead of
// re-serialising the whole parsed object: half the cost, and every other byte stays as the sender
// wrote it (numbers beyond double precision, escapes, key order).

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

/** Default for `maxDepth`: what Jackson allows by default, and deeper than any event needs. */
export const MAX_PAYLOAD_NESTING = 1_000;

export interface ObjectLayout {
  /** Offset of the object's opening brace. */
  readonly open: number;
  /**
   * Three offsets per member, in order: its name's opening quote, the name's closing quote, and
   * just past its value. The member's bytes run from the first to the third.
   */
  readonly members: readonly number[];
}

export type LayoutResult =
  | { readonly ok: true; readonly layout: ObjectLayout }
  | { readonly ok: false; readonly error: string };

function isSpace(byte: number | undefined): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}

/** Offset of the quote that closes the string whose opening quote is at `open`. */
function stringEnd(data: Uint8Array, open: number): number {
  let at = open;
  for (;;) {
    at = data.indexOf(QUOTE, at + 1);
    if (at < 0) throw new SyntaxError("unterminated string");
    let slashes = 0;
    while (data[at - 1 - slashes] === BACKSLASH) slashes++;
    if (slashes % 2 === 0) return at;
  }
}

/**
 * Offset just past the value starting at `start` (whitespace skipped by the caller), or -1 once
 * it nests deeper than `maxDepth` counting the enclosing object as level 1. Throws a SyntaxError
 * on bytes that end before the value does.
 */
export function valueEnd(data: Uint8Array, start: number, maxDepth: number): number {
  const first = data[start];
  if (first === QUOTE) return stringEnd(data, start) + 1;
  if (first !== OPEN_BRACE && first !== OPEN_BRACKET) {
    let at = start;
    for (;;) {
      const byte = data[at];
      if (byte === undefined || byte === COMMA || byte === CLOSE_BRACE || isSpace(byte)) return at;
      at++;
    }
  }
  let depth = 2;
  if (depth > maxDepth) return -1;
  for (let at = start + 1; at < data.length; at++) {
    const byte = data[at];
    if (byte === QUOTE) {
      at = stringEnd(data, at);
    } else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) {
      if (++depth > maxDepth) return -1;
    } else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) {
      if (--depth === 1) return at + 1;
    }
  }
  throw new SyntaxError("unterminated value");
}

/** The first offset from `from` on that is not JSON whitespace. */
export function skipSpace(data: Uint8Array, from: number): number {
  let at = from;
  while (isSpace(data[at])) at++;
  return at;
}

/** The last offset from `from` back that is not JSON whitespace. */
export function skipSpaceBack(data: Uint8Array, from: number): number {
  let at = from;
  while (isSpace(data[at])) at--;
  return at;
}

/**
 * The layout of `data`, which must hold one JSON object that `JSON.parse` accepted (a byte order
 * mark may come first): this only finds boundaries, it does not validate. Refuses an object
 * nested deeper than `maxDepth` levels.
 */
export function objectLayout(data: Uint8Array, maxDepth = MAX_PAYLOAD_NESTING): LayoutResult {
  const open = data.indexOf(OPEN_BRACE);
  const members: number[] = [];
  try {
    if (open < 0) throw new SyntaxError("not an object");
    let at = skipSpace(data, open + 1);
    if (data[at] === CLOSE_BRACE) return { ok: true, layout: { open, members } };
    for (;;) {
      if (data[at] !== QUOTE) throw new SyntaxError("expected a member name");
      const nameStart = at;
      const nameEnd = stringEnd(data, at);
      at = skipSpace(data, nameEnd + 1);
      if (data[at] !== COLON) throw new SyntaxError("expected a colon");
      const end = valueEnd(data, skipSpace(data, at + 1), maxDepth);
      if (end < 0) {
        return { ok: false, error: `payload is nested deeper than ${String(maxDepth)} levels` };
      }
      members.push(nameStart, nameEnd, end);
      at = skipSpace(data, end);
      if (data[at] === CLOSE_BRACE) break;
      if (data[at] !== COMMA) throw new SyntaxError("expected a comma");
      at = skipSpace(data, at + 1);
    }
  } catch (error) {
    // Only bytes JSON.parse refused could get here; a payload is refused, never a worker broken.
    const why = error instanceof Error ? error.message : String(error);
    return { ok: false, error: `payload cannot be stamped: ${why}` };
  }
  return { ok: true, layout: { open, members } };
}
