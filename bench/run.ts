// `npm run bench`: every scenario against the built daemon and the baseline, a table of the
// results, and (for a complete full run) bench/results.json and BENCHMARKS.md.
import { cleanupAll, installSignalHandlers } from "./cleanup.js";
import type { Context } from "./context.js";
import { collectMeta } from "./meta.js";
import { forgetProcesses } from "./proc.js";
import { SCENARIOS, parseOptions, type ScenarioName } from "./options.js";
import { PARTIAL_JSON, RESULTS_JSON, SMOKE_JSON, writeBenchmarks, writeResults } from "./output.js";
import { tables } from "./report.js";
import { allProblems, type Results } from "./results.js";
import { ceilingScenario } from "./scenarios/ceiling.js";
import { drainScenario, drainScenarios } from "./scenarios/drain.js";
import { fairnessScenario } from "./scenarios/fairness.js";
import { idleScenario } from "./scenarios/idle.js";
import { latencyScenario } from "./scenarios/latency.js";
import { memoryScenario } from "./scenarios/memory.js";
import { payloadsScenario } from "./scenarios/payloads.js";
import { renderText } from "./table.js";
import { startOtlpSink } from "../src/testing/otlp-sink.js";

const options = parseOptions(process.argv.slice(2));
installSignalHandlers();

// The daemon's spans go to a collector in this process: it only counts them, which costs far less
// than the receiver's work, and nothing of it runs in the daemon's process.
const collector = options.sizes.tracing === 1 ? await startOtlpSink() : undefined;

const started = performance.now();
const elapsed = (): string => `${((performance.now() - started) / 1000).toFixed(0)} s`;
const context: Context = {
  sizes: options.sizes,
  profileDir: options.profileDir,
  against: options.against,
  otlpEndpoint: collector?.endpoint,
  log: (message) => {
    process.stderr.write(`[${elapsed()}] ${message}\n`);
  },
};

const results: Results = {
  meta: collectMeta(options.smoke ? "smoke" : "full"),
  sizes: options.sizes,
  failures: [],
};

// Both drains selected: they run interleaved, so their ratio compares drains that ran side by
// side rather than a minute apart on a machine whose speed drifts.
const bothDrains = options.only.includes("drain") && options.only.includes("drain-many");

const scenarios: Record<ScenarioName, () => Promise<void>> = {
  drain: async () => {
    if (bothDrains) {
      [results.drainOne, results.drainMany] = await drainScenarios(
        [1, options.sizes.drainAccounts],
        context,
      );
    } else {
      results.drainOne = await drainScenario(1, context);
    }
  },
  "drain-many": async () => {
    if (bothDrains) return; // measured with the one-account drain
    results.drainMany = await drainScenario(options.sizes.drainAccounts, context);
  },
  payloads: async () => {
    results.payloads = await payloadsScenario(context);
  },
  latency: async () => {
    results.latency = await latencyScenario(context);
  },
  idle: async () => {
    results.idle = await idleScenario(context);
  },
  fairness: async () => {
    results.fairness = await fairnessScenario(context);
  },
  memory: async () => {
    results.memory = await memoryScenario(context);
  },
  ceiling: async () => {
    results.ceiling = await ceilingScenario(context);
  },
};

for (const name of options.only) {
  try {
    await scenarios[name]();
  } catch (error) {
    const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
    results.failures.push(`${name}: ${text}`);
    context.log(`${name} failed: ${text}`);
    await cleanupAll();
  }
  forgetProcesses();
}
await cleanupAll();
if (collector !== undefined) {
  context.log(`tracing on: the collector received ${collector.requests} export requests`);
  await collector.close();
}
results.meta.durationSeconds = (performance.now() - started) / 1000;

const all = tables(results);
const { meta } = results;
console.log(
  `\nstreamhook bench (${meta.mode}${options.only.length < SCENARIOS.length ? `: ${options.only.join(", ")}` : ""}), ` +
    `${meta.cores} cores, Node ${meta.node}, nats-server ${meta.natsServer}, ` +
    `load ${meta.loadBefore.toFixed(2)} before, ${meta.durationSeconds.toFixed(0)} s` +
    `${options.against === undefined ? "" : `; "baseline" is streamhook run from ${options.against}`}\n`,
);
for (const table of all) console.log(renderText(table));

const problems = allProblems(results);
for (const problem of problems) console.log(`PROBLEM: ${problem}`);

const complete = problems.length === 0;
const fullRun = !options.smoke && !options.custom && options.only.length === SCENARIOS.length;
if (fullRun && complete) {
  writeResults(RESULTS_JSON, results);
  console.log(`wrote ${RESULTS_JSON} and ${await writeBenchmarks(results, all)}`);
} else {
  const path = options.smoke && options.against === undefined ? SMOKE_JSON : PARTIAL_JSON;
  writeResults(path, results);
  console.log(`wrote ${path}${fullRun ? " (incomplete: BENCHMARKS.md left as it was)" : ""}`);
}
process.exit(complete ? 0 : 1);
