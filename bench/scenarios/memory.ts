// Memory bound: resident memory sampled while streamhook drains a large backlog. Bounded
// buffers mean it levels off; a leak shows as a last quarter well above the first.
import { setTimeout as delay } from "node:timers/promises";
import { writeAccountsDir } from "../accounts-dir.js";
import { removeDir } from "../cleanup.js";
import { startCluster } from "../cluster.js";
import { stopPipeline, type Context } from "../context.js";
import { startDaemon } from "../daemon.js";
import { fillStreams } from "../fill.js";
import { mean } from "../percentiles.js";
import { rssMiB } from "../proc.js";
import { drainPayloadOf } from "../payload.js";
import { startReceiverProcess } from "../receiver-client.js";
import { DAEMON_CONSUMER, MESSAGE_BYTES } from "../settings.js";

export interface MemoryResult {
  readonly messages: number;
  readonly received: number;
  readonly seconds: number;
  readonly samples: number;
  readonly minMiB: number;
  readonly maxMiB: number;
  readonly lastMiB: number;
  /** Start-up: the process grows from its size at start to its working set. */
  readonly firstQuarterMiB: number;
  /** The working set once warm, what the last quarter is held against. */
  readonly secondQuarterMiB: number;
  readonly lastQuarterMiB: number;
  readonly problems: readonly string[];
}

const STALL_MS = 30_000;

export async function memoryScenario(context: Context): Promise<MemoryResult> {
  const { memoryMessages: total, memorySampleMs } = context.sizes;
  const cluster = await startCluster({
    names: ["mem"],
    consumers: [{ name: DAEMON_CONSUMER }],
    keepConnections: true,
  });
  const receiver = await startReceiverProcess();
  const problems: string[] = [];
  try {
    context.log(`memory: publishing ${total} messages`);
    await fillStreams(cluster.accounts, total, drainPayloadOf(MESSAGE_BYTES, 0));
    const dir = writeAccountsDir(cluster.accounts, { consumer: DAEMON_CONSUMER });
    const daemon = await startDaemon({
      natsUrl: cluster.server.url,
      accountsDir: dir,
      consumer: DAEMON_CONSUMER,
      webhookUrl: receiver.url,
      accounts: 1,
      ...(context.profileDir !== undefined && { profileDir: context.profileDir }),
    });
    context.log("memory: draining");
    const samples: number[] = [];
    const sampling = new AbortController();
    const sampler = (async () => {
      while (!sampling.signal.aborted) {
        try {
          samples.push(await rssMiB(daemon.pid));
        } catch {
          // Gone: the stall check below reports it.
        }
        await delay(memorySampleMs, undefined, { signal: sampling.signal }).catch(() => undefined);
      }
    })();
    let reported = 0;
    const arrived = await receiver.waitForCount(total, STALL_MS, (s) => {
      if (s.count - reported >= total / 10) {
        reported = s.count;
        context.log(
          `  ${s.count} delivered, ${samples[samples.length - 1]?.toFixed(0) ?? "?"} MiB`,
        );
      }
    });
    sampling.abort();
    await sampler;
    samples.push(await rssMiB(daemon.pid));
    const stats = await receiver.stats();
    if (!arrived) problems.push(`memory: ${stats.count} of ${total} arrived, then stalled`);
    await stopPipeline(daemon, problems);
    removeDir(dir);
    const quarter = Math.max(1, Math.floor(samples.length / 4));
    return {
      messages: total,
      received: stats.count,
      seconds: ((stats.lastAt ?? 0) - (stats.firstAt ?? 0)) / 1000,
      samples: samples.length,
      minMiB: Math.min(...samples),
      maxMiB: Math.max(...samples),
      lastMiB: samples[samples.length - 1] ?? 0,
      firstQuarterMiB: mean(samples.slice(0, quarter)),
      secondQuarterMiB: mean(samples.slice(quarter, 2 * quarter)),
      lastQuarterMiB: mean(samples.slice(-quarter)),
      problems,
    };
  } finally {
    await receiver.stop();
    await cluster.close();
  }
}
