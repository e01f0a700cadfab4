import { subjectHeader } from "../delivery/header-values.js";
import { toJson, type DeadLetter } from "./record.js";

/** Where a command writes; a writable stream or a test's collector. */
export interface Out {
  write(text: string): unknown;
}

/** Prints dead letters one at a time as they are read, so no listing is held in memory. */
export interface DeadLetterPrinter {
  add(d: DeadLetter): void;
  /** How many were added. */
  readonly count: number;
  /** Closes the listing (the JSON array's bracket); call once. */
  end(): void;
}

/**
 * A JSON array written element by element: the whole of stdout for `dlq list --json`, and the
 * `dead_letters` member of a dry run's summary.
 */
export function jsonPrinter(out: Out): DeadLetterPrinter {
  let count = 0;
  return {
    add(d) {
      out.write(`${count === 0 ? "[\n" : ",\n"}  ${JSON.stringify(toJson(d))}`);
      count++;
    },
    get count() {
      return count;
    },
    end() {
      out.write(count === 0 ? "[]" : "\n]");
    },
  };
}

/**
 * Header values are tenant input: in a terminal, every byte outside visible ASCII is
 * percent-encoded (as in `streamhook-subject`), so none can move the cursor or forge a line.
 */
const cell = (value: string | number | undefined): string =>
  value === undefined ? "-" : subjectHeader(String(value));

const COLUMNS = ["DLQ SEQ", "TIME", "REASON", "STATUS", "ATTEMPTS", "SEQUENCE", "SUBJECT"] as const;
/** Fixed widths, so rows print as they come: sequences up to 10 digits, ISO times, reasons. */
const WIDTHS = [10, 24, 17, 6, 8, 10] as const;

/**
 * A table written row by row. The account column is as wide as the longest name asked for; the
 * subject comes last and is left ragged, as subjects can be long.
 */
export function tablePrinter(out: Out, accountNames: readonly string[]): DeadLetterPrinter {
  const accountWidth = Math.max("ACCOUNT".length, ...accountNames.map((n) => n.length));
  const line = (cells: readonly string[]): string =>
    `${cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(i === 0 ? accountWidth : (WIDTHS[i - 1] ?? 0)))).join("  ")}\n`;
  let count = 0;
  return {
    add(d) {
      if (count === 0) out.write(line(["ACCOUNT", ...COLUMNS]));
      out.write(
        line([
          d.account,
          String(d.dlqSequence),
          d.time.toISOString(),
          cell(d.reason),
          cell(d.status),
          cell(d.attempts),
          cell(d.sequence),
          cell(d.subject),
        ]),
      );
      count++;
    },
    get count() {
      return count;
    },
    end() {
      // The count follows the table, in the command's own summary line.
    },
  };
}
