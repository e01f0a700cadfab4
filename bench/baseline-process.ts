// Starting the baseline script as its own process, so its CPU is measured like streamhook's.
import { nodeFlagsFrom, profileArgs, spawnScript } from "./child.js";
import { pipelineOf, type Pipeline, type PipelineOptions } from "./pipeline.js";

const isReady = (v: unknown): v is { ready: true; accounts: number } =>
  typeof v === "object" && v !== null && "ready" in v && v.ready === true;

export async function startBaseline(
  options: PipelineOptions,
  profileDir?: string,
): Promise<Pipeline> {
  const started = performance.now();
  const child = spawnScript(
    "baseline",
    "./baseline.ts",
    {
      ...process.env,
      BENCH_NATS_URL: options.natsUrl,
      BENCH_ACCOUNTS_DIR: options.accountsDir,
      BENCH_CONSUMER: options.consumer,
      BENCH_WEBHOOK_URL: options.webhookUrl,
    },
    [...profileArgs(profileDir, "baseline"), ...nodeFlagsFrom("BENCH_BASELINE_NODE_FLAGS")],
  );
  await child.line(isReady, 120_000);
  return pipelineOf("baseline", child, started);
}
