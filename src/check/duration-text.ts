/** Milliseconds as an operator would write them in the configuration. */
export function formatDuration(ms: number): string {
  const units: readonly [number, string][] = [
    [3_600_000, "h"],
    [60_000, "m"],
    [1_000, "s"],
  ];
  for (const [size, unit] of units) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return ms >= 1_000 ? `${ms / 1_000}s` : `${ms}ms`;
}
