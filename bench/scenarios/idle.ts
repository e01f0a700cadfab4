// Idle scale: many directory accounts with nothing to deliver. How long until all are running,
// then resident memory and CPU while nothing happens.
import { setTimeout as delay } from "node:timers/promises";
import { writeAccountsDir } from "../accounts-dir.js";
import { removeDir } from "../cleanup.js";
import { startCluster } from "../cluster.js";
import { stopPipeline, type Context } from "../context.js";
import { startDaemon } from "../daemon.js";
import { cpuWindow, rssMiB } from "../proc.js";
import { startReceiverProcess } from "../receiver-client.js";
import { DAEMON_CONSUMER } from "../settings.js";

export interface IdleResult {
  readonly accounts: number;
  /** From spawn until /readyz listed every account as running. */
  readonly allRunningMs: number;
  /** Resident memory at the end of the idle window, and its highest sample. */
  readonly rssMiB: number;
  readonly rssMaxMiB: number;
  readonly idleSeconds: number;
  /** Percent of one core over the idle window. */
  readonly cpu: Record<string, number>;
  readonly problems: readonly string[];
}

export async function idleScenario(context: Context): Promise<IdleResult> {
  const { idleAccounts: count, idleSettleMs, idleMs } = context.sizes;
  const names = Array.from({ length: count }, (_, i) => `i${String(i).padStart(4, "0")}`);
  context.log(`idle: generating ${count} accounts (operator, account and user keys)`);
  let reported = 0;
  const cluster = await startCluster({
    names,
    consumers: [{ name: DAEMON_CONSUMER }],
    keepConnections: false,
    progress: (done) => {
      if (done - reported >= 100) {
        reported = done;
        context.log(`  ${done} of ${count} accounts provisioned`);
      }
    },
  });
  const receiver = await startReceiverProcess();
  const problems: string[] = [];
  try {
    const dir = writeAccountsDir(cluster.accounts, { consumer: DAEMON_CONSUMER });
    context.log(`idle: starting streamhook with ${count} accounts`);
    const daemon = await startDaemon({
      natsUrl: cluster.server.url,
      accountsDir: dir,
      consumer: DAEMON_CONSUMER,
      webhookUrl: receiver.url,
      accounts: count,
      readyTimeoutMs: 120_000,
      ...(context.profileDir !== undefined && { profileDir: context.profileDir }),
    });
    context.log(`  all running after ${(daemon.readyMs / 1000).toFixed(2)} s; idling`);
    await delay(idleSettleMs);
    const window = cpuWindow({ streamhook: daemon.pid, "nats-server": cluster.server.pid ?? -1 });
    const started = performance.now();
    let rssMax = 0;
    while (performance.now() - started < idleMs) {
      rssMax = Math.max(rssMax, await rssMiB(daemon.pid));
      await delay(Math.min(1_000, idleMs / 4));
    }
    const cpu = await window.stop();
    const rss = await rssMiB(daemon.pid);
    const idleSeconds = (performance.now() - started) / 1000;
    const received = (await receiver.stats()).count;
    if (received > 0) problems.push(`idle: ${received} deliveries from empty streams`);
    await stopPipeline(daemon, problems);
    removeDir(dir);
    return {
      accounts: count,
      allRunningMs: daemon.readyMs,
      rssMiB: rss,
      rssMaxMiB: Math.max(rssMax, rss),
      idleSeconds,
      cpu,
      problems,
    };
  } finally {
    await receiver.stop();
    await cluster.close();
  }
}
