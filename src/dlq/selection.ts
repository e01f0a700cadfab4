import { parseDuration } from "../config/duration.js";
import { DEAD_LETTER_REASONS } from "../delivery/decision.js";
import type { DeadLetter } from "./record.js";

/** Which dead letters a `dlq` command works on. Every field unset selects everything. */
export interface Selection {
  readonly account?: string | undefined;
  readonly reason?: string | undefined;
  /** Only dead letters stored less than this long ago. */
  readonly sinceMs?: number | undefined;
}

/** A `--reason` or `--since` that cannot select anything: a usage error (exit 2). */
export class SelectionError extends Error {
  override readonly name = "SelectionError";
}

export function parseSelection(flags: {
  readonly account?: string | undefined;
  readonly reason?: string | undefined;
  readonly since?: string | undefined;
}): Selection {
  const { reason, since } = flags;
  if (reason !== undefined && !(DEAD_LETTER_REASONS as readonly string[]).includes(reason)) {
    throw new SelectionError(
      `--reason must be one of ${DEAD_LETTER_REASONS.join(", ")}, not ${JSON.stringify(reason)}`,
    );
  }
  let sinceMs: number | undefined;
  if (since !== undefined) {
    try {
      sinceMs = parseDuration(since);
    } catch (error) {
      throw new SelectionError(
        `--since: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    }
  }
  return { account: flags.account, reason, sinceMs };
}

/** Whether a dead letter is selected; `nowMs` is when the command started. */
export function selects(selection: Selection, d: DeadLetter, nowMs: number): boolean {
  if (selection.reason !== undefined && d.reason !== selection.reason) return false;
  if (selection.sinceMs !== undefined && d.time.getTime() < nowMs - selection.sinceMs) return false;
  return true;
}
