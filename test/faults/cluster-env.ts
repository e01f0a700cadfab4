// A 3-node JetStream cluster for the fault tests: an R3 stream and consumer per account, the
// accounts directory the daemon watches, a receiver, and the measures the tests judge by.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect, credsAuthenticator } from "@nats-io/transport-node";
import { startNatsCluster, type NatsClusterHandle } from "../../src/testing/nats-cluster.js";
import {
  provision,
  type NatsServerHandle,
  type UserOptions,
} from "../../src/testing/nats-server.js";
import { startReceiver, type RecordedRequest, type Script } from "../../src/testing/receiver.js";
import type { AccountClient } from "../helpers/fixtures.js";
import { tempDir } from "../helpers/fixtures.js";
import { CONSUMER, STREAM, writeAccountDir, type Cleanup, type DaemonTargets } from "./helpers.js";

export interface ClusterEnvOptions {
  readonly accounts: readonly string[];
  readonly ackWaitMs: number;
  readonly script?: Script;
  /** How the daemon's users are issued, e.g. with subjects denied. */
  readonly daemonUser?: UserOptions;
}

export interface ClusterEnv extends DaemonTargets {
  readonly cluster: NatsClusterHandle;
  /**
   * A new user's connection to `account`, to any member, or to one of `members` only, closed at
   * cleanup.
   */
  connect(account: string, members?: readonly NatsServerHandle[]): Promise<AccountClient>;
}

export async function startClusterEnv(
  options: ClusterEnvOptions,
  cleanup: Cleanup,
): Promise<ClusterEnv> {
  const dir = tempDir("streamhook-cluster-");
  cleanup.add("remove the temporary directory", () => {
    dir.remove();
  });
  const cluster = await startNatsCluster({ accounts: options.accounts });
  cleanup.add("stop the cluster", () => cluster.stop());
  const receiver = await startReceiver(options.script);
  cleanup.add("close the receiver", () => receiver.close());
  const accountsDir = join(dir.path, "accounts");
  mkdirSync(accountsDir, { recursive: true });
  const natsServers = cluster.urls.join(",");
  for (const account of options.accounts) {
    const creds = await cluster.createUserCreds(account);
    // Just after the cluster formed, a member may not have enabled JetStream for the account
    // yet, or the meta leader may not count every peer for an R3 placement: asked again.
    for (let attempt = 1; ; attempt++) {
      try {
        await provision(
          { url: natsServers, creds },
          {
            stream: STREAM,
            subjects: ["events.>"],
            consumer: CONSUMER,
            ackWaitMs: options.ackWaitMs,
            replicas: 3,
          },
        );
        break;
      } catch (error) {
        const notYet =
          error instanceof Error &&
          /JetStream not enabled|no suitable peers for placement/i.test(error.message);
        if (!notYet || attempt >= 120) throw error;
        await delay(250);
      }
    }
    const daemonCreds = await cluster.createUserCreds(account, {
      name: `streamhook-${account}`,
      ...options.daemonUser,
    });
    writeAccountDir(accountsDir, account, daemonCreds);
  }
  const connectTo = async (
    account: string,
    members?: readonly NatsServerHandle[],
  ): Promise<AccountClient> => {
    const creds = await cluster.createUserCreds(account, { name: `test-${account}` });
    const nc = await connect({
      servers: members === undefined ? [...cluster.urls] : members.map((member) => member.url),
      authenticator: credsAuthenticator(new TextEncoder().encode(creds)),
      // The test's own connection must outlast every node's restart.
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
    });
    const close = async (): Promise<void> => {
      if (!nc.isClosed()) await nc.close();
    };
    cleanup.add(`close the connection to ${account}`, close);
    return { nc, js: jetstream(nc), jsm: await jetstreamManager(nc), close };
  };
  return { cluster, natsServers, receiver, accountsDir, connect: connectTo };
}

/** The member leading the account's stream or its consumer, by the server name it reports. */
export async function leaderOf(
  client: AccountClient,
  cluster: NatsClusterHandle,
  what: "stream" | "consumer",
): Promise<NatsServerHandle> {
  const info =
    what === "stream"
      ? await client.jsm.streams.info(STREAM)
      : await client.jsm.consumers.info(STREAM, CONSUMER);
  const name = info.cluster?.leader ?? "";
  const node = cluster.nodes.find((n) => n.serverName === name);
  if (node === undefined) throw new Error(`no member named "${name}"`);
  return node;
}

/**
 * How long a restarted or continued member may take to catch up. Once on a loaded machine, a
 * member of nats-server 2.10.27 was still not current after 60 s.
 */
export const SETTLE_LIMIT_MS = 120_000;

/** A node's outage as an operator's rolling restart makes it: SIGKILL, down for `downMs`, back. */
export async function bounce(
  cluster: NatsClusterHandle,
  node: NatsServerHandle,
  downMs: number,
): Promise<void> {
  await node.kill();
  await delay(downMs);
  await node.restart();
  // An operator moves to the next node only once this one is healthy again.
  await cluster.settled(SETTLE_LIMIT_MS);
}

export interface Pause {
  /** How long, in ms. */
  readonly ms: number;
  /** When it began, in ms after `from`. */
  readonly at: number;
}

/** When the test saw each leader election announced, in `Date.now()` ms. */
export interface LeaderElections {
  /** The consumer's. */
  readonly times: readonly number[];
  /** The consumer's and the stream's together, in the order seen. */
  readonly any: readonly number[];
  stop(): void;
}

/**
 * Records the cluster's announcements of a new consumer or stream leader. How long an election
 * takes is the cluster's business (its Raft timeouts, a split vote); the daemon answers for what
 * follows it. A client whose member restarts misses what is announced while it reconnects.
 */
export async function watchLeaderElections(client: AccountClient): Promise<LeaderElections> {
  const times: number[] = [];
  const any: number[] = [];
  const consumer = client.nc.subscribe(
    `$JS.EVENT.ADVISORY.CONSUMER.LEADER_ELECTED.${STREAM}.${CONSUMER}`,
    {
      callback: () => {
        times.push(Date.now());
        any.push(Date.now());
      },
    },
  );
  const stream = client.nc.subscribe(`$JS.EVENT.ADVISORY.STREAM.LEADER_ELECTED.${STREAM}`, {
    callback: () => {
      any.push(Date.now());
    },
  });
  // Registered at the server before the fault begins.
  await client.nc.flush();
  return {
    times,
    any,
    stop: () => {
      consumer.unsubscribe();
      stream.unsubscribe();
    },
  };
}

/** How long after `at` the receiver saw its next request, if it saw one. */
export function nextDeliveryAfter(
  requests: readonly RecordedRequest[],
  at: number,
): number | undefined {
  let next: number | undefined;
  for (const r of requests) {
    if (r.receivedAt >= at && (next === undefined || r.receivedAt < next)) next = r.receivedAt;
  }
  return next === undefined ? undefined : next - at;
}

/**
 * The longest time without a delivery between `from` and the last delivery: requests of every
 * attempt count, as the receiver sees them.
 */
export function longestPause(requests: readonly RecordedRequest[], from: number): Pause {
  const times = requests
    .map((r) => r.receivedAt)
    .filter((t) => t >= from)
    .sort((a, b) => a - b);
  let pause: Pause = { ms: 0, at: 0 };
  let previous = from;
  for (const t of times) {
    if (t - previous > pause.ms) pause = { ms: t - previous, at: previous - from };
    previous = t;
  }
  return pause;
}

/** The member the client named `clientName` is connected to, if any is. */
export async function nodeOfClient(
  cluster: NatsClusterHandle,
  clientName: string,
): Promise<NatsServerHandle | undefined> {
  for (const node of cluster.nodes) {
    try {
      const response = await fetch(`${node.monitorUrl}/connz?limit=1024`, {
        signal: AbortSignal.timeout(2_000),
      });
      const body = (await response.json()) as { connections?: { name?: string }[] };
      if ((body.connections ?? []).some((c) => c.name === clientName)) return node;
    } catch {
      // A member that is down holds no connection.
    }
  }
  return undefined;
}

/**
 * Asks the stream's or the consumer's leader to step down until `target` leads it: the server
 * picks the new leader itself, so this may take a few rounds.
 */
export async function moveLeader(
  client: AccountClient,
  cluster: NatsClusterHandle,
  what: "stream" | "consumer",
  target: NatsServerHandle,
): Promise<void> {
  const subject =
    what === "stream"
      ? `$JS.API.STREAM.LEADER.STEPDOWN.${STREAM}`
      : `$JS.API.CONSUMER.LEADER.STEPDOWN.${STREAM}.${CONSUMER}`;
  for (let round = 0; round < 20; round++) {
    const leader = await leaderOf(client, cluster, what).catch(() => undefined);
    if (leader === target) return;
    if (leader !== undefined) await client.nc.request(subject, "", { timeout: 5_000 });
    await delay(500);
  }
  throw new Error(`the ${what} leader did not move to ${target.serverName}`);
}
