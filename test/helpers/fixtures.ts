import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import {
  jetstream,
  jetstreamManager,
  type JetStreamClient,
  type JetStreamManager,
} from "@nats-io/jetstream";
import { connect, credsAuthenticator, type NatsConnection } from "@nats-io/transport-node";
import { pino } from "pino";
import { loadConfig } from "../../src/config/index.js";
import { startDaemon, type Daemon, type DaemonOptions } from "../../src/daemon.js";
import { startReceiver, type Receiver, type Script } from "../../src/testing/receiver.js";
import {
  findNatsServer,
  provision,
  startNatsServer,
  type NatsServerHandle,
  type ProvisionOptions,
} from "../../src/testing/nats-server.js";

export const newSecret = (): string => `whsec_${randomBytes(32).toString("base64")}`;

export function tempDir(prefix = "streamhook-test-"): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return {
    path,
    remove: () => {
      rmSync(path, { recursive: true, force: true });
    },
  };
}

/** A connection of the test's own, with JetStream, to one account. */
export interface AccountClient {
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  close(): Promise<void>;
}

/**
 * Connects as a new user of `account`, never as the daemon's: publishing goes on when the
 * daemon's user is revoked or its creds file is replaced.
 */
export async function connectAsNewUser(
  server: NatsServerHandle,
  account: string,
  name?: string,
): Promise<AccountClient> {
  const creds = await server.createUserCreds(account, name === undefined ? {} : { name });
  const nc = await connect({
    servers: server.url,
    authenticator: credsAuthenticator(new TextEncoder().encode(creds)),
  });
  const close = async (): Promise<void> => {
    if (!nc.isClosed()) await nc.close();
  };
  return { nc, js: jetstream(nc), jsm: await jetstreamManager(nc), close };
}

export interface AccountFixture extends AccountClient {
  readonly credsFile: string;
}

/** Writes creds for a new user of `account`, connects as it, and provisions stream and consumer. */
export async function accountFixture(
  server: NatsServerHandle,
  account: string,
  dir: string,
  resources: ProvisionOptions,
): Promise<AccountFixture> {
  const credsFile = join(dir, `${account}-${resources.stream}.creds`);
  await server.writeCreds(account, credsFile);
  const client = await connectAsNewUser(server, account);
  await provision(client.nc, resources);
  return { ...client, credsFile };
}

/** Every receiver of the tests runs on loopback, which the network policy refuses by default. */
export const LOOPBACK = "127.0.0.0/8";

/** Starts the daemon in this process from environment-style settings, with logs kept in memory. */
export function runDaemon(
  env: Record<string, string>,
  options: Partial<Omit<DaemonOptions, "config" | "logger">> = {},
): { daemon: Daemon; logs: string[] } {
  const logs: string[] = [];
  const config = loadConfig({
    env: { STREAMHOOK_HTTP_LISTEN: "off", STREAMHOOK_WEBHOOK_ALLOWED_NETWORKS: LOOPBACK, ...env },
  });
  const logger = pino({ level: "debug" }, { write: (line: string) => void logs.push(line) });
  return { daemon: startDaemon({ ...options, config, logger }), logs };
}

export async function consumerIdle(
  jsm: JetStreamManager,
  stream: string,
  consumer: string,
): Promise<boolean> {
  const info = await jsm.consumers.info(stream, consumer);
  return info.num_pending === 0 && info.num_ack_pending === 0;
}

export interface SingleAccountEnv {
  readonly server: NatsServerHandle;
  readonly receiver: Receiver;
  readonly acme: AccountFixture;
  close(): Promise<void>;
}

/** A server with one account "acme", its stream and consumer, and a scripted receiver. */
export async function singleAccountEnv(
  resources: ProvisionOptions,
  script?: Script,
): Promise<SingleAccountEnv> {
  const dir = tempDir();
  const server = await startNatsServer({ accounts: ["acme"] });
  const receiver = await startReceiver(script);
  const acme = await accountFixture(server, "acme", dir.path, resources);
  return {
    server,
    receiver,
    acme,
    async close() {
      await acme.close();
      await receiver.close();
      await server.stop();
      dir.remove();
    },
  };
}

/**
 * Why a test that runs the nats-server binary itself (not through the harness) is skipped: on a
 * machine with only a Docker engine, the harness runs containers and there is no binary.
 */
export const NO_LOCAL_BINARY: string | false = (() => {
  try {
    findNatsServer();
    return false;
  } catch {
    return "no nats-server binary here: the harness runs nats-server in Docker";
  }
})();
