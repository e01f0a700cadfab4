// CPU per message: what a pipeline's own process spent on each message it delivered. Its rate
// also depends on how much of the machine the other processes left it; its CPU per message is
// its own cost, and drifts less between runs on a shared machine.
import type { PipelineName } from "./context.js";
import { mean } from "./percentiles.js";

/** What the arithmetic needs of one drain run. */
export interface MeasuredRun {
  readonly pipeline: PipelineName;
  /** msg/s */
  readonly rate: number;
  /** Percent of one core per process, by name. */
  readonly cpu: Readonly<Record<string, number>>;
}

export type CpuPerMessage = Partial<Record<PipelineName, number>>;

const PIPELINES: readonly PipelineName[] = ["streamhook", "baseline"];

/** µs of CPU per message of one run, or undefined when the run measured no rate or no CPU. */
export function runCpuPerMessageUs(run: MeasuredRun): number | undefined {
  const percent = run.cpu[run.pipeline];
  if (percent === undefined || !Number.isFinite(percent) || !(run.rate > 0)) return undefined;
  return ((percent / 100) * 1e6) / run.rate;
}

/** Per pipeline, the mean over its runs that measured one; a pipeline without any is left out. */
export function cpuPerMessageUs(runs: readonly MeasuredRun[]): CpuPerMessage {
  const result: CpuPerMessage = {};
  for (const pipeline of PIPELINES) {
    const values = runs
      .filter((run) => run.pipeline === pipeline)
      .map(runCpuPerMessageUs)
      .filter((v): v is number => v !== undefined);
    if (values.length > 0) result[pipeline] = mean(values);
  }
  return result;
}

/** streamhook's CPU per message over the baseline's; undefined unless both were measured. */
export function cpuPerMessageRatio(perMessage: CpuPerMessage | undefined): number | undefined {
  const streamhook = perMessage?.streamhook;
  const baseline = perMessage?.baseline;
  if (streamhook === undefined || baseline === undefined || !(baseline > 0)) return undefined;
  return streamhook / baseline;
}
