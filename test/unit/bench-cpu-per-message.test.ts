import assert from "node:assert/strict";
import { test } from "node:test";
import {
  cpuPerMessageRatio,
  cpuPerMessageUs,
  runCpuPerMessageUs,
} from "../../bench/cpu-per-message.js";
import { tables } from "../../bench/report.js";
import { renderText } from "../../bench/table.js";
import { drainResult, drainRun, resultsOf } from "../helpers/bench-results.js";

test("bench CPU per message: a core's share over the rate, in µs", () => {
  assert.equal(runCpuPerMessageUs(drainRun("streamhook", 10_000, 50)), 50);
  assert.equal(runCpuPerMessageUs(drainRun("baseline", 20_000, 100)), 50);
  assert.equal(runCpuPerMessageUs(drainRun("streamhook", 0, 50)), undefined);
  assert.equal(runCpuPerMessageUs({ pipeline: "streamhook", rate: 1_000, cpu: {} }), undefined);
});

test("bench CPU per message: the mean over each pipeline's runs", () => {
  const perMessage = cpuPerMessageUs([
    drainRun("streamhook", 10_000, 50), // 50 µs
    drainRun("streamhook", 5_000, 50), // 100 µs
    drainRun("baseline", 10_000, 40), // 40 µs
    drainRun("baseline", 0, 40), // nothing measured: left out
  ]);
  assert.deepEqual(perMessage, { streamhook: 75, baseline: 40 });
  assert.equal(cpuPerMessageRatio(perMessage), 75 / 40);
});

test("bench CPU per message: a pipeline without a measured run has none, and no ratio", () => {
  const perMessage = cpuPerMessageUs([drainRun("streamhook", 10_000, 50)]);
  assert.deepEqual(perMessage, { streamhook: 50 });
  assert.equal(cpuPerMessageRatio(perMessage), undefined);
  assert.equal(cpuPerMessageRatio(undefined), undefined);
  assert.equal(cpuPerMessageRatio({ streamhook: 50, baseline: 0 }), undefined);
});

test("bench CPU table: µs per message, and '-' for results written before it was measured", () => {
  const measured = drainResult(1, { cpuPerMessageUs: { streamhook: 52.34, baseline: 48 } });
  const older = drainResult(100);
  const text = tables(resultsOf({ drainOne: measured, drainMany: older }))
    .filter((t) => t.title.startsWith("CPU during the drain"))
    .map(renderText)
    .join("");
  const row = (label: string): string[] =>
    (text.split("\n").find((line) => line.startsWith(label)) ?? "").trim().split(/\s+/);
  assert.equal(row("1 account, streamhook").at(-1), "52.3");
  assert.equal(row("1 account, baseline").at(-1), "48.0");
  assert.equal(row("100 accounts, streamhook").at(-1), "-");
});
