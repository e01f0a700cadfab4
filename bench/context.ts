// What every scenario is given: the sizes of this run, where profiles go, and how to say what
// it is doing (progress goes to stderr, the results to stdout).
import type { Sizes } from "./options.js";
import { startBaseline } from "./baseline-process.js";
import { startDaemon } from "./daemon.js";
import type { Pipeline, PipelineOptions } from "./pipeline.js";

export interface Context {
  readonly sizes: Sizes;
  readonly profileDir: string | undefined;
  /** Another build's CLI that stands in for the baseline (see Options.against). */
  readonly against: string | undefined;
  /** The OTLP collector streamhook exports its spans to when `--set tracing=1`. */
  readonly otlpEndpoint: string | undefined;
  log(message: string): void;
}

export type PipelineName = Pipeline["name"];

export function startPipeline(
  name: PipelineName,
  options: PipelineOptions,
  context: Context,
): Promise<Pipeline> {
  const profile = context.profileDir !== undefined && { profileDir: context.profileDir };
  // Only streamhook traces: with --against, the other build runs as it ships, tracing off.
  const otlp = context.otlpEndpoint !== undefined && { otlpEndpoint: context.otlpEndpoint };
  // Likewise only streamhook goes unsigned with `--set signing=0`.
  const unsigned = context.sizes.signing === 0 && { unsigned: true };
  if (name === "streamhook") return startDaemon({ ...options, ...profile, ...otlp, ...unsigned });
  if (context.against === undefined) return startBaseline(options, context.profileDir);
  return startDaemon({ ...options, ...profile, cli: context.against, as: "baseline" });
}

/** Stops a pipeline and says so when it did not exit cleanly. */
export async function stopPipeline(pipeline: Pipeline, problems: string[]): Promise<void> {
  const code = await pipeline.stop();
  if (code !== 0) {
    problems.push(
      `${pipeline.name} exited with ${String(code)}:\n${pipeline.output().slice(-2000)}`,
    );
  }
}
