import { allUsable, type AccountCheck, type CheckResult } from "./result.js";

/**
 * The `check --json` document:
 *
 * ```
 * {
 *   "ok": boolean,                  // every account usable (the exit code is 0)
 *   "accounts": [{
 *     "name": string, "source": "static" | "env" | "directory",
 *     "tenant_id": string | null,
 *     "stream": string | null, "consumer": string | null,   // null: meta.yaml unreadable
 *     "paused": boolean,
 *     "usable": boolean, "reason": string | null,           // reason: why it is unusable
 *     "pending": number | null, "ack_pending": number | null,
 *     "warnings": string[]
 *   }],
 *   "warnings": [{ "account": string | null, "message": string }]  // every warning; null: global
 * }
 * ```
 *
 * Built only from names, counts and reasons that are themselves free of secrets.
 */
export interface CheckJson {
  readonly ok: boolean;
  readonly accounts: {
    readonly name: string;
    readonly source: AccountCheck["source"];
    readonly tenant_id: string | null;
    readonly stream: string | null;
    readonly consumer: string | null;
    readonly paused: boolean;
    readonly usable: boolean;
    readonly reason: string | null;
    readonly pending: number | null;
    readonly ack_pending: number | null;
    readonly warnings: readonly string[];
  }[];
  readonly warnings: readonly { readonly account: string | null; readonly message: string }[];
}

function allWarnings(result: CheckResult): { account: string | null; message: string }[] {
  return [
    ...result.warnings.map((message) => ({ account: null, message })),
    ...result.accounts.flatMap((a) => a.warnings.map((message) => ({ account: a.name, message }))),
  ];
}

export function toJson(result: CheckResult): CheckJson {
  return {
    ok: allUsable(result),
    accounts: result.accounts.map((a) => ({
      name: a.name,
      source: a.source,
      tenant_id: a.tenantId ?? null,
      stream: a.stream ?? null,
      consumer: a.consumer ?? null,
      paused: a.paused,
      usable: a.usable,
      reason: a.reason ?? null,
      pending: a.pending ?? null,
      ack_pending: a.ackPending ?? null,
      warnings: a.warnings,
    })),
    warnings: allWarnings(result),
  };
}

function detailOf(a: AccountCheck): string {
  if (!a.usable) return a.reason ?? "unusable";
  const parts = [`pending ${a.pending ?? 0}`, `ack pending ${a.ackPending ?? 0}`];
  if (a.paused) parts.push("paused");
  return parts.join(", ");
}

const HEADER = ["ACCOUNT", "TENANT", "STREAM", "CONSUMER", "STATUS", "DETAIL"] as const;

/** Columns padded to their widest cell; the last one is left ragged, as reasons can be long. */
function table(rows: readonly (readonly string[])[]): string {
  const widths = HEADER.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  return rows
    .map((row) =>
      row
        .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

export function formatText(result: CheckResult): string {
  const lines: string[] = [];
  if (result.accounts.length > 0) {
    const rows = result.accounts.map((a) => [
      a.name,
      a.tenantId ?? "-",
      a.stream ?? "-",
      a.consumer ?? "-",
      a.usable ? "ok" : "unusable",
      detailOf(a),
    ]);
    lines.push(table([HEADER, ...rows]), "");
  }
  const usable = result.accounts.filter((a) => a.usable).length;
  lines.push(`${usable} of ${result.accounts.length} accounts usable`);
  const warnings = allWarnings(result);
  if (warnings.length > 0) {
    lines.push("", "Warnings:");
    for (const w of warnings)
      lines.push(`  ${w.account === null ? "" : `${w.account}: `}${w.message}`);
  }
  return `${lines.join("\n")}\n`;
}
