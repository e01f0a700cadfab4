const UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;
/** Node's timers overflow past this and fire after 1 ms instead: a long backoff would become none. */
export const MAX_DURATION_MS = 2 ** 31 - 1;
const EXAMPLES = "such as 250ms, 30s, 5m, 1h or 1m30s";

export class DurationError extends Error {
  override readonly name = "DurationError";
}

function checked(ms: number): number {
  if (ms > MAX_DURATION_MS) {
    throw new DurationError(
      `longer than the longest timer Node.js supports (${MAX_DURATION_MS} ms, about 24 days)`,
    );
  }
  return ms;
}

/**
 * Parses a duration to milliseconds: a whole number of milliseconds (a number, or a string of
 * digits, as environment variables always are), or unit parts such as `250ms`, `30s`, `5m`, `1h`,
 * `1m30s`.
 */
export function parseDuration(value: unknown): number {
  if (typeof value === "number") {
    if (Number.isInteger(value) && value >= 0) return checked(value);
    throw new DurationError("expected a whole, non-negative number of milliseconds");
  }
  if (typeof value !== "string") throw new DurationError(`expected a duration ${EXAMPLES}`);
  const text = value.trim();
  if (/^\d+$/.test(text)) return checked(Number(text));
  let total = 0;
  let consumed = 0;
  PART.lastIndex = 0;
  for (let match = PART.exec(text); match !== null; match = PART.exec(text)) {
    total += Number(match[1]) * (UNITS[match[2] ?? ""] ?? 0);
    consumed = PART.lastIndex;
  }
  if (text === "" || consumed !== text.length) {
    throw new DurationError(`${JSON.stringify(value)} is not a duration ${EXAMPLES}`);
  }
  return checked(Math.round(total));
}
