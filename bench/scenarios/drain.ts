// Drain: a backlog already in the stream, delivered by streamhook and by the baseline from
// consumers of the same stream, to the same receiver. Rate = arrivals / (last - first arrival).
import { setTimeout as delay } from "node:timers/promises";
import { writeAccountsDir } from "../accounts-dir.js";
import { removeDir } from "../cleanup.js";
import { consumersIdle, startCluster, type Cluster } from "../cluster.js";
import { cpuPerMessageUs, type CpuPerMessage } from "../cpu-per-message.js";
import { startPipeline, stopPipeline, type Context, type PipelineName } from "../context.js";
import { fillStreams } from "../fill.js";
import { drainPayloadOf } from "../payload.js";
import { mean } from "../percentiles.js";
import { cpuWindow } from "../proc.js";
import { startReceiverProcess, type ReceiverProcess } from "../receiver-client.js";
import { baselineConsumer, daemonConsumer } from "../settings.js";

export interface DrainRun {
  readonly pipeline: PipelineName;
  readonly round: number;
  /** Position in the whole schedule, counting the drains of every account count. */
  readonly order: number;
  readonly received: number;
  readonly seconds: number;
  readonly rate: number;
  /** Percent of one core per process between the first and the last arrival. */
  readonly cpu: Record<string, number>;
  readonly complete: boolean;
}

export interface DrainResult {
  readonly accounts: number;
  readonly messages: number;
  readonly runs: readonly DrainRun[];
  /** Mean over rounds. */
  readonly streamhookRate: number;
  readonly baselineRate: number;
  readonly ratio: number;
  readonly cpu: Record<PipelineName, Record<string, number>>;
  /**
   * µs of its own process's CPU per message, per run and then the mean over the pipeline's runs.
   * Absent from results written before it was reported: not measured, not zero.
   */
  readonly cpuPerMessageUs?: CpuPerMessage;
  readonly problems: readonly string[];
}

const STALL_MS = 30_000;

interface Slot {
  readonly accounts: number;
  readonly pipeline: PipelineName;
  readonly round: number;
}

/**
 * ABBA over every (account count, pipeline) pair: the pairs in one order in even rounds and
 * reversed in odd ones, so a drift of the machine's speed during the run weighs on each pair
 * alike, and the 1-to-many ratio compares drains that ran side by side, not a minute apart.
 */
export function schedule(accountCounts: readonly number[], rounds: number): Slot[] {
  const pairs = accountCounts.flatMap((accounts) =>
    (["baseline", "streamhook"] as const).map((pipeline) => ({ accounts, pipeline })),
  );
  const order: Slot[] = [];
  for (let round = 0; round < rounds; round++) {
    const sequence = round % 2 === 0 ? pairs : [...pairs].reverse();
    for (const pair of sequence) order.push({ ...pair, round });
  }
  return order;
}

async function drainOnce(
  cluster: Cluster,
  receiver: ReceiverProcess,
  run: Slot & { readonly order: number },
  total: number,
  context: Context,
  problems: string[],
): Promise<DrainRun> {
  const consumer =
    run.pipeline === "baseline" ? baselineConsumer(run.round) : daemonConsumer(run.round);
  await receiver.reset();
  const dir = writeAccountsDir(cluster.accounts, { consumer });
  const pipeline = await startPipeline(
    run.pipeline,
    {
      natsUrl: cluster.server.url,
      accountsDir: dir,
      consumer,
      webhookUrl: receiver.url,
      accounts: cluster.accounts.length,
    },
    context,
  );
  const pids = {
    [run.pipeline]: pipeline.pid,
    "nats-server": cluster.server.pid ?? -1,
    receiver: receiver.pid,
  };
  let window: ReturnType<typeof cpuWindow> | undefined;
  const arrived = await receiver.waitForCount(total, STALL_MS, (s) => {
    if (window === undefined && s.count > 0) window = cpuWindow(pids);
  });
  const cpu = (await window?.stop()) ?? {};
  const stats = await receiver.stats();
  let idle = false;
  for (let i = 0; i < 100 && arrived && !idle; i++) {
    idle = await consumersIdle(cluster.accounts, consumer);
    if (!idle) await delay(100);
  }
  await stopPipeline(pipeline, problems);
  removeDir(dir);
  const seconds = ((stats.lastAt ?? 0) - (stats.firstAt ?? 0)) / 1000;
  const label = `${run.accounts} account(s), ${run.pipeline} round ${run.round + 1}`;
  if (!arrived) {
    problems.push(
      `${label}: ${stats.count} of ${total} arrived, then nothing for ${STALL_MS / 1000} s`,
    );
  } else if (!idle) {
    problems.push(`${label}: all arrived but the consumers still have messages pending or unacked`);
  }
  if (stats.count > total) {
    problems.push(`${label}: ${stats.count - total} deliveries more than messages`);
  }
  const rate = seconds > 0 ? stats.count / seconds : 0;
  context.log(`  ${label}: ${Math.round(rate)} msg/s over ${seconds.toFixed(1)} s`);
  return {
    pipeline: run.pipeline,
    round: run.round,
    order: run.order,
    received: stats.count,
    seconds,
    rate,
    cpu,
    complete: arrived && idle,
  };
}

function meanCpu(runs: readonly DrainRun[]): Record<string, number> {
  const keys = new Set(runs.flatMap((r) => Object.keys(r.cpu)));
  return Object.fromEntries([...keys].map((k) => [k, mean(runs.map((r) => r.cpu[k] ?? 0))]));
}

function tenantNames(accounts: number): string[] {
  return accounts === 1
    ? ["solo"]
    : Array.from({ length: accounts }, (_, i) => `t${String(i).padStart(4, "0")}`);
}

async function provision(accounts: number, context: Context): Promise<Cluster> {
  const { drainMessages: total, drainRounds: rounds } = context.sizes;
  const consumers = Array.from({ length: rounds }, (_, r) => [
    { name: baselineConsumer(r) },
    { name: daemonConsumer(r) },
  ]).flat();
  context.log(`drain, ${accounts} account(s): provisioning`);
  const cluster = await startCluster({
    names: tenantNames(accounts),
    consumers,
    keepConnections: true,
  });
  context.log(`drain, ${accounts} account(s): publishing ${total} messages`);
  const { drainMessageBytes, drainTenantField } = context.sizes;
  await fillStreams(cluster.accounts, total, drainPayloadOf(drainMessageBytes, drainTenantField));
  return cluster;
}

function summarise(
  accounts: number,
  messages: number,
  runs: readonly DrainRun[],
  problems: readonly string[],
): DrainResult {
  const of = (p: PipelineName): DrainRun[] => runs.filter((r) => r.pipeline === p);
  const streamhookRate = mean(of("streamhook").map((r) => r.rate));
  const baselineRate = mean(of("baseline").map((r) => r.rate));
  return {
    accounts,
    messages,
    runs,
    streamhookRate,
    baselineRate,
    ratio: baselineRate > 0 ? streamhookRate / baselineRate : 0,
    cpu: { streamhook: meanCpu(of("streamhook")), baseline: meanCpu(of("baseline")) },
    cpuPerMessageUs: cpuPerMessageUs(runs),
    problems,
  };
}

/**
 * One drain result per account count. Each count has its own nats-server with its own backlog;
 * all of them stay up for the whole schedule, so their drains can interleave.
 */
export async function drainScenarios(
  accountCounts: readonly number[],
  context: Context,
): Promise<DrainResult[]> {
  const { drainMessages: total, drainRounds: rounds } = context.sizes;
  /** Per account count, in the order given: its cluster and what its drains measured. */
  const drains = new Map<number, { cluster: Cluster; runs: DrainRun[]; problems: string[] }>();
  let receiver: ReceiverProcess | undefined;
  try {
    for (const accounts of accountCounts) {
      drains.set(accounts, { cluster: await provision(accounts, context), runs: [], problems: [] });
    }
    receiver = await startReceiverProcess();
    for (const [order, slot] of schedule(accountCounts, rounds).entries()) {
      const drain = drains.get(slot.accounts);
      if (drain === undefined) throw new Error(`no cluster for ${slot.accounts} account(s)`);
      const run = { ...slot, order };
      drain.runs.push(
        await drainOnce(drain.cluster, receiver, run, total, context, drain.problems),
      );
    }
    return [...drains].map(([n, d]) => summarise(n, total, d.runs, d.problems));
  } finally {
    await receiver?.stop();
    for (const { cluster } of drains.values()) await cluster.close();
  }
}

export async function drainScenario(accounts: number, context: Context): Promise<DrainResult> {
  const [result] = await drainScenarios([accounts], context);
  if (result === undefined) throw new Error("the drain produced no result");
  return result;
}
