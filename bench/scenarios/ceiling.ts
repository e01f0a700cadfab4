// Ceiling: how fast each half of a drain goes alone at one account, in the same run as the drains,
// so the README can say how close to it the daemon and the baseline run. The NATS client alone
// (consume and ack) and undici alone (POST to the same receiver), each in its own process.
import { writeAccountsDir } from "../accounts-dir.js";
import { spawnScript } from "../child.js";
import { removeDir } from "../cleanup.js";
import { startCluster } from "../cluster.js";
import type { Context } from "../context.js";
import { fillStreams } from "../fill.js";
import { mean } from "../percentiles.js";
import { drainPayloadOf } from "../payload.js";
import { cpuWindow } from "../proc.js";
import { startReceiverProcess } from "../receiver-client.js";

export interface CeilingRun {
  readonly mode: "nats" | "http";
  readonly rate: number;
  /** Percent of one core of the measuring process while it ran. */
  readonly cpu: number;
}

export interface CeilingResult {
  readonly messages: number;
  readonly runs: readonly CeilingRun[];
  /** Mean rates, msg/s. */
  readonly nats: number;
  readonly http: number;
  readonly problems: readonly string[];
}

const isReady = (v: unknown): v is { ready: true } =>
  typeof v === "object" && v !== null && "ready" in v && v.ready === true;
const isDone = (v: unknown): v is { done: true; count: number; seconds: number } =>
  typeof v === "object" && v !== null && "done" in v && v.done === true;

export async function ceilingScenario(context: Context): Promise<CeilingResult> {
  const { drainMessages: total, drainRounds, drainMessageBytes, drainTenantField } = context.sizes;
  const rounds = Math.min(2, drainRounds);
  const consumer = (round: number): string => `ceiling${round}`;
  context.log(`ceiling: provisioning one account with ${total} messages`);
  const cluster = await startCluster({
    names: ["solo"],
    consumers: Array.from({ length: rounds }, (_, r) => ({ name: consumer(r) })),
    keepConnections: true,
  });
  const receiver = await startReceiverProcess();
  const runs: CeilingRun[] = [];
  const problems: string[] = [];
  try {
    await fillStreams(cluster.accounts, total, drainPayloadOf(drainMessageBytes, drainTenantField));
    for (let round = 0; round < rounds; round++) {
      const modes = round % 2 === 0 ? (["nats", "http"] as const) : (["http", "nats"] as const);
      for (const mode of modes) {
        await receiver.reset();
        const dir = writeAccountsDir(cluster.accounts, { consumer: consumer(round) });
        const child = spawnScript(`ceiling-${mode}`, "./ceiling.ts", {
          ...process.env,
          BENCH_CEILING_MODE: mode,
          BENCH_CEILING_MESSAGES: String(total),
          BENCH_CEILING_BYTES: String(drainMessageBytes),
          BENCH_NATS_URL: cluster.server.url,
          BENCH_ACCOUNTS_DIR: dir,
          BENCH_ACCOUNT: "solo",
          BENCH_CONSUMER: consumer(round),
          BENCH_WEBHOOK_URL: receiver.url,
        });
        try {
          await child.line(isReady, 60_000);
          const window = cpuWindow({ [mode]: child.pid });
          const done = await child.line(isDone, 300_000);
          const cpu = (await window.stop())[mode] ?? 0;
          const rate = done.seconds > 0 ? done.count / done.seconds : 0;
          if (done.count !== total) problems.push(`ceiling ${mode}: ${done.count} of ${total}`);
          context.log(`  ceiling, ${mode} alone, round ${round + 1}: ${Math.round(rate)} msg/s`);
          runs.push({ mode, rate, cpu });
        } finally {
          await child.stop("SIGTERM", 5_000);
          removeDir(dir);
        }
      }
    }
  } finally {
    await receiver.stop();
    await cluster.close();
  }
  const of = (mode: CeilingRun["mode"]): number =>
    mean(runs.filter((r) => r.mode === mode).map((r) => r.rate));
  return { messages: total, runs, nats: of("nats"), http: of("http"), problems };
}
