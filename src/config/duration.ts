const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;

export class DurationError extends Error {
  override readonly name = "DurationError";
}

/**
 * Parses a duration: an integer number of milliseconds (as a number or a string of digits), or a
 * string of unit parts such as `250ms`, `30s`, `5m`, `1h`, `1m30s`.
 */
export function parseDuration(value: unknown): number {
  if (typeof value === "number") {
    if (Number.isInteger(value) && value >= 0) return value;
    throw new DurationError("expected a whole, non-negative number of milliseconds");
  }
  if (typeof value !== "string")
    throw new DurationError("expected a duration such as 250ms, 30s, 5m or 1h");
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text);
  let total = 0;
  let consumed = 0;
  PART.lastIndex = 0;
  for (let match = PART.exec(text); match !== null; match = PART.exec(text)) {
    total += Number(match[1]) * (UNITS[match[2] ?? ""] ?? 0);
    consumed = PART.lastIndex;
  }
  if (text === "" || consumed !== text.length) {
    throw new DurationError(`"${value}" is not a duration such as 250ms, 30s, 5m or 1h`);
  }
  return Math.round(total);
}
