// A titled table rendered as aligned text for the terminal and as Markdown for BENCHMARKS.md.

export interface Table {
  readonly title: string;
  readonly headers: readonly string[];
  readonly rows: readonly (readonly string[])[];
  /** A line under the table: what was measured, and how. */
  readonly note?: string;
}

const numeric = (cell: string): boolean => /^[-+]?[\d,.]+\s*(x|%|ms|s|MiB|MB|msg\/s)?$/.test(cell);

/** A column of figures is right-aligned; the first column (row labels) never is. */
function rightAligned(table: Table, column: number): boolean {
  const cells = table.rows.map((row) => row[column] ?? "").filter((cell) => cell !== "");
  return column > 0 && cells.length > 0 && cells.every(numeric);
}

export function renderText(table: Table): string {
  const all = [table.headers, ...table.rows];
  const widths = table.headers.map((_, c) => Math.max(...all.map((row) => (row[c] ?? "").length)));
  const line = (row: readonly string[]): string =>
    row
      .map((cell, c) => {
        const width = widths[c] ?? 0;
        return rightAligned(table, c) ? cell.padStart(width) : cell.padEnd(width);
      })
      .join("  ")
      .trimEnd();
  const rule = widths.map((w) => "-".repeat(w)).join("  ");
  const body = [line(table.headers), rule, ...table.rows.map(line)].join("\n");
  return `${table.title}\n${body}${table.note === undefined ? "" : `\n${table.note}`}\n`;
}

export function renderMarkdown(table: Table): string {
  const row = (cells: readonly string[]): string => `| ${cells.join(" | ")} |`;
  const align = table.headers.map((_, c) => (rightAligned(table, c) ? "---:" : "---"));
  const lines = [`### ${table.title}`, "", row(table.headers), row(align), ...table.rows.map(row)];
  if (table.note !== undefined) lines.push("", table.note);
  return `${lines.join("\n")}\n`;
}
