// Hand-made bench results, for the report's and the targets' logic without running a bench.
import type { Meta } from "../../bench/meta.js";
import { parseOptions } from "../../bench/options.js";
import type { Results } from "../../bench/results.js";
import type { DrainResult, DrainRun } from "../../bench/scenarios/drain.js";

const META: Meta = {
  date: "2025-01-01T00:00:00.000Z",
  mode: "full",
  streamhook: "0.0.0",
  commit: "test",
  node: "v24.0.0",
  natsServer: "2.9.10",
  cpuModel: "test",
  cores: 2,
  memoryGiB: 4,
  loadBefore: 0,
  durationSeconds: 1,
};

/** One run of a drain, with only the pipeline's own CPU. */
export function drainRun(pipeline: DrainRun["pipeline"], rate: number, cpu: number): DrainRun {
  return {
    pipeline,
    round: 0,
    order: 0,
    received: 1_000,
    seconds: 1_000 / rate,
    rate,
    cpu: { [pipeline]: cpu },
    complete: true,
  };
}

/** A drain result whose figures are given; the rest as a complete drain would have them. */
export function drainResult(accounts: number, figures: Partial<DrainResult> = {}): DrainResult {
  const streamhookRate = figures.streamhookRate ?? 10_000;
  const baselineRate = figures.baselineRate ?? 10_000;
  return {
    accounts,
    messages: 1_000,
    runs: [],
    streamhookRate,
    baselineRate,
    ratio: streamhookRate / baselineRate,
    cpu: { streamhook: {}, baseline: {} },
    problems: [],
    ...figures,
  };
}

/** Results of a full run (its default sizes) with only the given scenarios. */
export function resultsOf(scenarios: Partial<Results> = {}): Results {
  return { meta: META, sizes: parseOptions([]).sizes, failures: [], ...scenarios };
}
