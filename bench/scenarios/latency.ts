// Latency: messages published at a steady rate, each stamped with its publish time; the receiver
// records publish -> arrival. Each pipeline has its own consumer filtered to its own subject, so
// neither sees the other's messages as a backlog.
import { writeAccountsDir } from "../accounts-dir.js";
import { removeDir } from "../cleanup.js";
import { accountNamed, startCluster } from "../cluster.js";
import { startPipeline, stopPipeline, type Context, type PipelineName } from "../context.js";
import { connection } from "../fill.js";
import { timedPayload } from "../payload.js";
import type { Distribution } from "../percentiles.js";
import { cpuWindow } from "../proc.js";
import { publishPaced } from "../publish.js";
import { startReceiverProcess } from "../receiver-client.js";

export interface LatencyRun {
  readonly pipeline: PipelineName;
  readonly rate: number;
  readonly sent: number;
  /** Milliseconds, over the measured phase (the warm-up excluded). */
  readonly latency: Distribution;
  readonly cpu: Record<string, number>;
  readonly complete: boolean;
}

export interface LatencyResult {
  readonly runs: readonly LatencyRun[];
  readonly problems: readonly string[];
}

const PIPELINES: readonly PipelineName[] = ["baseline", "streamhook"];
const subjectOf = (pipeline: PipelineName): string => `events.lat.${pipeline}`;
const consumerOf = (pipeline: PipelineName): string => `lat-${pipeline}`;

export async function latencyScenario(context: Context): Promise<LatencyResult> {
  const { latencyRates, latencyWarmupMs, latencyMs } = context.sizes;
  context.log("latency: provisioning");
  const cluster = await startCluster({
    names: ["lat"],
    consumers: PIPELINES.map((p) => ({ name: consumerOf(p), filter: subjectOf(p) })),
    keepConnections: true,
  });
  const receiver = await startReceiverProcess();
  const problems: string[] = [];
  const runs: LatencyRun[] = [];
  try {
    const nc = connection(accountNamed(cluster, "lat"));
    for (const name of PIPELINES) {
      const dir = writeAccountsDir(cluster.accounts, { consumer: consumerOf(name) });
      const pipeline = await startPipeline(
        name,
        {
          natsUrl: cluster.server.url,
          accountsDir: dir,
          consumer: consumerOf(name),
          webhookUrl: receiver.url,
          accounts: 1,
        },
        context,
      );
      const pids = {
        [name]: pipeline.pid,
        "nats-server": cluster.server.pid ?? -1,
        receiver: receiver.pid,
      };
      for (const rate of latencyRates) {
        await receiver.reset();
        const subject = subjectOf(name);
        const warm = await publishPaced(nc, subject, rate, latencyWarmupMs, (i) =>
          timedPayload("warm", i),
        );
        const window = cpuWindow(pids);
        const sent = await publishPaced(nc, subject, rate, latencyMs, (i) =>
          timedPayload("lat", i),
        );
        const cpu = await window.stop();
        const complete = await receiver.waitForCount(warm + sent, 10_000);
        const latency = (await receiver.stats()).groups.lat ?? { count: 0, p50: 0, p99: 0, max: 0 };
        if (!complete || latency.count !== sent) {
          problems.push(`latency ${name} at ${rate}/s: ${latency.count} of ${sent} arrived`);
        }
        context.log(
          `  ${name} at ${rate}/s: p50 ${latency.p50.toFixed(2)} ms, p99 ${latency.p99.toFixed(2)} ms`,
        );
        runs.push({
          pipeline: name,
          rate,
          sent,
          latency,
          cpu,
          complete: complete && latency.count === sent,
        });
      }
      await stopPipeline(pipeline, problems);
      removeDir(dir);
    }
    return { runs, problems };
  } finally {
    await receiver.stop();
    await cluster.close();
  }
}
