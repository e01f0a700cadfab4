// What a scenario needs of either pipeline under test, streamhook or the baseline.
import type { Child } from "./child.js";
import { STOP_GRACE_MS } from "./settings.js";

export interface PipelineOptions {
  readonly natsUrl: string;
  readonly accountsDir: string;
  /** The consumer each account drains (streamhook reads it from meta.yaml). */
  readonly consumer: string;
  readonly webhookUrl: string;
  /** How many accounts must be running before the pipeline counts as ready. */
  readonly accounts: number;
}

export interface Pipeline {
  readonly name: "streamhook" | "baseline";
  readonly pid: number;
  /** Milliseconds from spawn until every account was running. */
  readonly readyMs: number;
  /** Graceful stop; resolves to the exit code. */
  stop(): Promise<number | null>;
  output(): string;
}

export type StartPipeline = (options: PipelineOptions) => Promise<Pipeline>;

/**
 * A started child process as a Pipeline: a graceful stop (SIGTERM, SIGKILL after the grace
 * period) lets it finish in-flight deliveries and write its profile.
 */
export function pipelineOf(name: Pipeline["name"], child: Child, startedMs: number): Pipeline {
  return {
    name,
    pid: child.pid,
    readyMs: performance.now() - startedMs,
    stop: () => child.stop("SIGTERM", STOP_GRACE_MS),
    output: () => child.output(),
  };
}
