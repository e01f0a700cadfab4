import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { test } from "node:test";

const root = fileURLToPath(new URL("../..", import.meta.url));

/** promtool from PROMTOOL_BIN, PATH, or Debian's package (fetched once into .cache). */
function promtool(): string {
  return execFileSync("sh", ["scripts/ensure-promtool.sh"], { cwd: root, encoding: "utf8" }).trim();
}

test("the Prometheus alert rules are valid and pass their promtool unit tests", () => {
  const bin = promtool();
  const run = (...args: string[]): string =>
    execFileSync(bin, args, { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  assert.match(
    run("check", "rules", "deploy/prometheus/streamhook-alerts.yml"),
    /SUCCESS: 6 rules/,
  );
  assert.match(run("test", "rules", "deploy/prometheus/streamhook-alerts.test.yml"), /SUCCESS/);
});
