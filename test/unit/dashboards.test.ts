import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import { createMetrics } from "../../src/observability/metrics.js";

const root = fileURLToPath(new URL("../..", import.meta.url));

/** Every series name the daemon exports, from the scrape's TYPE lines (histograms' suffixes too). */
async function exported(): Promise<Set<string>> {
  const metrics = createMetrics({ queueDepth: () => 0, accounts: () => [] });
  const { body } = await metrics.scrape();
  const names = new Set<string>();
  for (const [, name = "", type] of body.matchAll(/^# TYPE (streamhook_\w+) (\w+)$/gm)) {
    names.add(name);
    if (type === "histogram") {
      for (const suffix of ["_bucket", "_sum", "_count"]) names.add(name + suffix);
    }
  }
  return names;
}

const used = (text: string): string[] => [...new Set(text.match(/streamhook_[a-z_]+/g) ?? [])];

test("the Grafana dashboard and the alert rules query only metrics the daemon exports", async () => {
  const names = await exported();
  assert.ok(
    names.has("streamhook_account_state") && names.has("streamhook_end_to_end_seconds_bucket"),
  );
  const dashboard = readFileSync(`${root}deploy/grafana/streamhook-dashboard.json`, "utf8");
  const parsed = JSON.parse(dashboard) as { panels: { targets: { expr: string }[] }[] };
  assert.ok(parsed.panels.length >= 8);
  const rules = readFileSync(`${root}deploy/prometheus/streamhook-alerts.yml`, "utf8");
  for (const [file, text] of [
    ["dashboard", dashboard],
    ["alert rules", rules],
  ] as const) {
    const unknown = used(text).filter((name) => !names.has(name));
    assert.deepEqual(unknown, [], `${file} uses metrics the daemon does not export`);
  }
});
