// When a test cluster is settled: every member answers and names the same JetStream meta leader,
// and that leader sees every other member as current. Faults injected before that test the
// cluster's own recovery, not streamhook's.
import { setTimeout as delay } from "node:timers/promises";
import type { NatsServerHandle } from "./nats-server.js";
import { getJson } from "./readiness.js";

interface MetaCluster {
  readonly leader?: string;
  readonly replicas?: readonly { readonly name: string; readonly current?: boolean }[];
}

async function metaClusterOf(node: NatsServerHandle): Promise<MetaCluster | undefined> {
  const jsz = await getJson(`${node.monitorUrl}/jsz`);
  // Down, paused or still starting: no answer.
  if (!jsz.ok) return undefined;
  return (jsz.body as { meta_cluster?: MetaCluster } | undefined)?.meta_cluster;
}

/** Why the cluster is not settled yet, or undefined when it is. */
async function unsettled(nodes: readonly NatsServerHandle[]): Promise<string | undefined> {
  const metas = await Promise.all(nodes.map(metaClusterOf));
  const leaders = new Set(metas.map((meta) => meta?.leader ?? ""));
  if (leaders.size !== 1 || leaders.has("")) {
    return `members see meta leaders ${JSON.stringify(metas.map((m) => m?.leader ?? null))}`;
  }
  const [leader] = leaders;
  // Only the leader's view counts: newer servers list from each follower's view too, where
  // the other followers never look current.
  const leaderView = metas[nodes.findIndex((node) => node.serverName === leader)];
  if (leaderView === undefined) return `the meta leader "${String(leader)}" is not a member`;
  const lagging = (leaderView.replicas ?? []).filter((replica) => replica.current !== true);
  if (lagging.length > 0) return `not current: ${lagging.map((r) => r.name).join(", ")}`;
  const unhealthy = (await Promise.all(nodes.map(healthy))).flatMap((ok, i) =>
    ok ? [] : [nodes[i]?.serverName ?? ""],
  );
  // A restarted member's /healthz answers 200 once its streams and consumers caught up.
  if (unhealthy.length > 0) return `not healthy: ${unhealthy.join(", ")}`;
  return undefined;
}

async function healthy(node: NatsServerHandle): Promise<boolean> {
  return (await getJson(`${node.monitorUrl}/healthz`)).ok;
}

export async function waitForMetaLeader(
  nodes: readonly NatsServerHandle[],
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const why = await unsettled(nodes);
    if (why === undefined) return;
    if (Date.now() > deadline) {
      throw new Error(`the cluster did not settle in ${String(timeoutMs)} ms: ${why}`);
    }
    await delay(100);
  }
}
