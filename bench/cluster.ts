// A nats-server in operator mode with one account per tenant, each provisioned with the stream
// and the consumers a scenario needs; the same settings for every consumer.
import { AckPolicy, DeliverPolicy, jetstreamManager } from "@nats-io/jetstream";
import { connect, credsAuthenticator, nanos, type NatsConnection } from "@nats-io/transport-node";
import pLimit from "p-limit";
import { startNatsServer, type NatsServerHandle } from "../src/testing/nats-server.js";
import { onCleanup } from "./cleanup.js";
import { ACK_WAIT_MS, MAX_ACK_PENDING, STREAM, SUBJECTS } from "./settings.js";

export interface ConsumerSpec {
  readonly name: string;
  /** Only this subject, so pipelines sharing a stream in a latency run see only their own. */
  readonly filter?: string;
}

export interface BenchAccount {
  readonly name: string;
  readonly creds: string;
  /** The bench's own connection (publishing, consumer checks); absent when not kept. */
  readonly nc: NatsConnection | undefined;
}

export interface Cluster {
  readonly server: NatsServerHandle;
  readonly accounts: readonly BenchAccount[];
  close(): Promise<void>;
}

export async function connectAs(url: string, creds: string): Promise<NatsConnection> {
  return connect({
    servers: url,
    authenticator: credsAuthenticator(new TextEncoder().encode(creds)),
    name: "streamhook-bench",
  });
}

async function provisionStream(
  nc: NatsConnection,
  consumers: readonly ConsumerSpec[],
): Promise<void> {
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: STREAM, subjects: [...SUBJECTS] });
  for (const consumer of consumers) {
    await jsm.consumers.add(STREAM, {
      durable_name: consumer.name,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ack_wait: nanos(ACK_WAIT_MS),
      max_deliver: -1,
      max_ack_pending: MAX_ACK_PENDING,
      // Diagnostic only: the runs of record keep consumer state on disk, as operators do.
      ...(process.env["BENCH_CONSUMER_STORAGE"] === "memory" && { mem_storage: true }),
      ...(consumer.filter !== undefined && { filter_subject: consumer.filter }),
    });
  }
}

export interface ClusterOptions {
  readonly names: readonly string[];
  readonly consumers: readonly ConsumerSpec[];
  /** Keep a connection per account open for the scenario (publishing, backlog checks). */
  readonly keepConnections: boolean;
  readonly progress?: (done: number) => void;
}

/**
 * Starts the server and provisions every account, a dozen at a time: generating a user is tens of
 * milliseconds of pure-JS signing, and a burst of handshakes can outrun the server's auth timeout.
 */
export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const extraConfig = process.env["BENCH_NATS_CONFIG"];
  const server = await startNatsServer({
    accounts: options.names,
    ...(extraConfig !== undefined && extraConfig !== "" && { extraConfig }),
  });
  const unregister = onCleanup(() => server.stop());
  const accounts: BenchAccount[] = [];
  const close = async (): Promise<void> => {
    await Promise.all(accounts.map((a) => a.nc?.close() ?? Promise.resolve()));
    unregister();
    await server.stop();
  };
  try {
    const limit = pLimit(12);
    let done = 0;
    await Promise.all(
      options.names.map((name) =>
        limit(async () => {
          const creds = await server.createUserCreds(name);
          const nc = await connectAs(server.url, creds);
          await provisionStream(nc, options.consumers);
          if (!options.keepConnections) await nc.close();
          accounts.push({ name, creds, nc: options.keepConnections ? nc : undefined });
          options.progress?.(++done);
        }),
      ),
    );
  } catch (error) {
    await close();
    throw error;
  }
  accounts.sort((a, b) => a.name.localeCompare(b.name));
  return { server, accounts, close };
}

export function accountNamed(cluster: Cluster, name: string): BenchAccount {
  const found = cluster.accounts.find((a) => a.name === name);
  if (found === undefined) throw new Error(`no account ${name}`);
  return found;
}

/** True once every account's `consumer` has nothing pending and nothing awaiting an ack. */
export async function consumersIdle(
  accounts: readonly BenchAccount[],
  consumer: string,
): Promise<boolean> {
  for (const account of accounts) {
    if (account.nc === undefined) throw new Error("consumer checks need kept connections");
    const jsm = await jetstreamManager(account.nc);
    const info = await jsm.consumers.info(STREAM, consumer);
    if (info.num_pending > 0 || info.num_ack_pending > 0) return false;
  }
  return true;
}
