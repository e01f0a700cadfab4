// A JetStream cluster on loopback for tests: N nats-servers routed to each other, sharing one
// operator-mode trust, each on its own store so that it can be killed, paused and restarted on
// its own while the others carry on. Local binaries only: the members reach each other's route
// ports on 127.0.0.1, which a container would not see.
import { chooseNatsBackend, systemProbe } from "./nats-backend.js";
import { freePort } from "./free-port.js";
import type { AccountIdentity, UserOptions } from "./identities.js";
import { startWithTrust, type NatsServerHandle } from "./nats-server.js";
import { createTrust, type Trust } from "./trust.js";
import { waitForMetaLeader } from "./cluster-readiness.js";

export interface StartNatsClusterOptions {
  /** Tenant account names (operator mode, plus the system account "SYS"). */
  readonly accounts: readonly string[];
  /** Members; default 3. */
  readonly size?: number;
  /** How long forming the cluster may take; default 30 s. */
  readonly startTimeoutMs?: number;
}

export interface NatsClusterHandle {
  readonly nodes: readonly NatsServerHandle[];
  /** Every member's client URL, as a client's `servers` list. */
  readonly urls: readonly string[];
  readonly accounts: ReadonlyMap<string, AccountIdentity>;
  /** The `.creds` text of a new user of `account`, valid on every member. */
  createUserCreds(account: string, options?: UserOptions): Promise<string>;
  /**
   * Resolves once some member is the JetStream meta leader and every running member sees it
   * (after a restart, before the next fault).
   */
  settled(timeoutMs?: number): Promise<void>;
  /** Stops every member and removes their directories. */
  stop(): Promise<void>;
}

export async function startNatsCluster(
  options: StartNatsClusterOptions,
): Promise<NatsClusterHandle> {
  const backend = await chooseNatsBackend(systemProbe());
  if (backend.kind !== "binary") {
    throw new Error("a test cluster needs a local nats-server binary (set NATS_SERVER_BIN)");
  }
  const trust = await createTrust(options.accounts, false);
  // The ports are fixed before any member starts, so another process may take one first: a
  // failed start is tried again on new ports.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOn(options, trust);
    } catch (error) {
      if (attempt >= 3) throw error;
    }
  }
}

async function startOn(options: StartNatsClusterOptions, trust: Trust): Promise<NatsClusterHandle> {
  const size = options.size ?? 3;
  // Ports are chosen up front: every member's routes name the others'.
  const clientPorts: number[] = [];
  const routePorts: number[] = [];
  for (let i = 0; i < size; i++) {
    clientPorts.push(await freePort());
    routePorts.push(await freePort());
  }
  const started = await Promise.allSettled(
    clientPorts.map((port, i) =>
      startWithTrust(
        {
          accounts: options.accounts,
          port,
          serverName: `n${i + 1}`,
          cluster: {
            name: "streamhook-test",
            port: routePorts[i] ?? 0,
            routes: routePorts.filter((_, j) => j !== i),
          },
          // A member is healthy only once it has met the others; they start together.
          startTimeoutMs: options.startTimeoutMs ?? 30_000,
        },
        trust,
      ),
    ),
  );
  const nodes = started.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
  const stop = async (): Promise<void> => {
    const results = await Promise.allSettled(nodes.map((node) => node.stop()));
    const errors = results.flatMap((r) => (r.status === "rejected" ? [r.reason as unknown] : []));
    if (errors.length > 0) throw new AggregateError(errors, "stopping the cluster failed");
  };
  const failed = started.find((r) => r.status === "rejected");
  if (failed !== undefined) {
    await stop();
    throw failed.reason;
  }
  const first = nodes[0];
  if (first === undefined) throw new Error("a cluster needs at least one member");
  const cluster: NatsClusterHandle = {
    nodes,
    urls: nodes.map((node) => node.url),
    accounts: first.accounts,
    createUserCreds: (account, userOptions) => first.createUserCreds(account, userOptions),
    settled: (timeoutMs = 30_000) => waitForMetaLeader(nodes, timeoutMs),
    stop,
  };
  try {
    await cluster.settled(options.startTimeoutMs ?? 30_000);
  } catch (error) {
    await stop();
    throw error;
  }
  return cluster;
}
