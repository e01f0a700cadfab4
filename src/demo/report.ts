// What the demo prints: a line per delivery and per dead letter as they happen, and a summary
// computed from what the receiver and the DLQ actually got.
import type { DemoEvent, DemoTenant, EventKind } from "./events.js";
import {
  accepted,
  expectedFailures,
  type Observations,
  type SeenDeadLetter,
  type SeenDelivery,
  type Verdict,
} from "./expectations.js";
import { SCRIPTED_FAILURE_STATUS } from "./recorder.js";

const OK = "✓";
const NOT_OK = "✗";

const text = (value: unknown): string =>
  value === undefined ? "?" : typeof value === "string" ? value : JSON.stringify(value);

/** Columns padded to their widest cell; every cell here is ASCII or a one-unit mark (✓, ✗). */
function table(rows: readonly (readonly string[])[]): string[] {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  }
  return rows.map((row) =>
    row
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd(),
  );
}

export function deliveryLine(d: SeenDelivery): string {
  const signature =
    d.signature === "verified" ? `signature ${OK}` : `signature ${NOT_OK} ${d.signature}`;
  const answer =
    d.status === SCRIPTED_FAILURE_STATUS ? `${d.status} (scripted failure)` : String(d.status);
  const [tenant, type] = [text(d.tenantHeader).padEnd(14), text(d.type).padEnd(16)];
  return `  ${accepted(d) ? OK : "·"} ${tenant} ${type} attempt ${text(d.attempt)}  → ${answer.padEnd(22)} ${signature}`;
}

export function deadLetterLine(dl: SeenDeadLetter): string {
  const [tenant, from] = [text(dl.tenant).padEnd(14), text(dl.originalSubject)];
  return `  ${OK} ${tenant} dead-lettered ${from} → ${dl.subject} (streamhook-dlq-reason: ${text(dl.reason)})`;
}

function tenantRows(
  tenants: readonly DemoTenant[],
  events: readonly DemoEvent[],
  seen: Observations,
): string[] {
  const rows = [
    [
      "tenant",
      "published",
      "accepted",
      "failed attempts",
      "dead-lettered",
      "signatures",
      "own tenant_id",
    ],
  ];
  for (const { account, tenantId } of tenants) {
    const requests = seen.deliveries.filter((d) => d.account === account);
    const ok = requests.filter(accepted);
    const signed = requests.filter((d) => d.signature === "verified").length;
    const stamped = ok.filter((d) => d.bodyTenant === tenantId).length;
    rows.push([
      tenantId,
      String(events.filter((e) => e.account === account).length),
      String(ok.length),
      String(requests.length - ok.length),
      String(seen.deadLetters.filter((dl) => dl.account === account).length),
      `${signed}/${requests.length} ${signed === requests.length ? OK : NOT_OK}`,
      `${stamped}/${ok.length} ${stamped === ok.length ? OK : NOT_OK}`,
    ]);
  }
  return table(rows).map((row) => `  ${row}`);
}

/** How many events of `kind` met the fate that kind is for, judged per event. */
function kindLine(
  kind: EventKind,
  label: string,
  events: readonly DemoEvent[],
  seen: Observations,
): string | undefined {
  const ofKind = events.filter((e) => e.kind === kind);
  if (ofKind.length === 0) return undefined;
  const good = ofKind.filter((event) => {
    const requests = seen.deliveries.filter((d) => d.eventId === event.id);
    if (kind === "malformed") {
      return (
        requests.length === 0 &&
        seen.deadLetters.some((dl) => dl.data === event.data && dl.reason === "malformed_payload")
      );
    }
    const wins = requests.filter(accepted);
    return (
      wins.length === 1 &&
      wins[0]?.attempt === expectedFailures(event) + 1 &&
      wins[0].bodyTenant === event.tenantId
    );
  }).length;
  return `  ${good === ofKind.length ? OK : NOT_OK} ${label}: ${good} of ${ofKind.length}`;
}

export function summaryLines(
  tenants: readonly DemoTenant[],
  events: readonly DemoEvent[],
  seen: Observations,
  verdict: Verdict,
): string[] {
  const lines = ["", "Summary", ...tenantRows(tenants, events, seen), ""];
  const kinds: [EventKind, string][] = [
    ["normal", "normal events accepted on attempt 1 with the account's tenant_id"],
    ["spoofed", "spoofed tenant_id replaced by the account's own"],
    ["flaky", `refused once (${SCRIPTED_FAILURE_STATUS}), accepted on attempt 2`],
    ["malformed", "malformed payloads dead-lettered with reason malformed_payload"],
  ];
  for (const [kind, label] of kinds) {
    const line = kindLine(kind, label, events, seen);
    if (line !== undefined) lines.push(line);
  }
  lines.push("");
  if (verdict.problems.length === 0) {
    lines.push(`${OK} all ${events.length} events came out as expected.`);
  } else {
    lines.push(`${NOT_OK} ${verdict.problems.length} problem(s):`);
    lines.push(...verdict.problems.map((p) => `  - ${p}`));
  }
  return lines;
}
