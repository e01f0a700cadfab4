// Fairness: one account works through a large backlog on a slow receiver path while a second
// account publishes a trickle; the trickle's latency shows whether it waits behind the backlog.
import { writeAccountsDir } from "../accounts-dir.js";
import { removeDir } from "../cleanup.js";
import { accountNamed, startCluster } from "../cluster.js";
import { stopPipeline, type Context } from "../context.js";
import { startDaemon } from "../daemon.js";
import { connection, fillStreams } from "../fill.js";
import { timedPayload } from "../payload.js";
import type { Distribution } from "../percentiles.js";
import { publishPaced } from "../publish.js";
import { drainPayloadOf } from "../payload.js";
import { startReceiverProcess } from "../receiver-client.js";
import { DAEMON_CONSUMER, MESSAGE_BYTES, SUBJECT } from "../settings.js";

export interface FairnessResult {
  readonly backlog: number;
  readonly slowMs: number;
  readonly rate: number;
  /** The quiet account's publish -> arrival latency, ms. */
  readonly quiet: Distribution;
  /** Backlog messages delivered by the end of the quiet phase: fewer than the backlog means it
   * was still draining throughout. */
  readonly busyDelivered: number;
  readonly problems: readonly string[];
}

export async function fairnessScenario(context: Context): Promise<FairnessResult> {
  const {
    fairnessBacklog: backlog,
    fairnessSlowMs: slowMs,
    fairnessRate: rate,
    fairnessMs,
  } = context.sizes;
  context.log("fairness: provisioning");
  const cluster = await startCluster({
    names: ["busy", "quiet"],
    consumers: [{ name: DAEMON_CONSUMER }],
    keepConnections: true,
  });
  const receiver = await startReceiverProcess(slowMs);
  const problems: string[] = [];
  try {
    const busy = accountNamed(cluster, "busy");
    await fillStreams([busy], backlog, drainPayloadOf(MESSAGE_BYTES, 0));
    const dir = writeAccountsDir(cluster.accounts, {
      consumer: DAEMON_CONSUMER,
      extraMeta: (name) => (name === "busy" ? `webhook:\n  url: ${receiver.url}slow` : ""),
    });
    const daemon = await startDaemon({
      natsUrl: cluster.server.url,
      accountsDir: dir,
      consumer: DAEMON_CONSUMER,
      webhookUrl: receiver.url,
      accounts: 2,
      ...(context.profileDir !== undefined && { profileDir: context.profileDir }),
    });
    // The backlog is under way before the quiet account says anything.
    await receiver.waitForCount(Math.min(200, backlog / 10), 30_000);
    context.log(`fairness: quiet account publishing ${rate}/s beside a backlog of ${backlog}`);
    const quietNc = connection(accountNamed(cluster, "quiet"));
    const sent = await publishPaced(quietNc, SUBJECT, rate, fairnessMs, (i) =>
      timedPayload("quiet", i),
    );
    const atEnd = await receiver.stats();
    let quiet = atEnd.groups.quiet;
    for (let i = 0; i < 100 && (quiet?.count ?? 0) < sent; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      quiet = (await receiver.stats()).groups.quiet;
    }
    const busyDelivered = atEnd.count - (atEnd.groups.quiet?.count ?? 0);
    if ((quiet?.count ?? 0) !== sent) {
      problems.push(`fairness: ${quiet?.count ?? 0} of ${sent} quiet messages arrived`);
    }
    if (busyDelivered >= backlog) {
      problems.push("fairness: the backlog was drained before the quiet phase ended");
    }
    await stopPipeline(daemon, problems);
    removeDir(dir);
    return {
      backlog,
      slowMs,
      rate,
      quiet: quiet ?? { count: 0, p50: 0, p99: 0, max: 0 },
      busyDelivered,
      problems,
    };
  } finally {
    await receiver.stop();
    await cluster.close();
  }
}
