// Shared by the process-fault tests (daemon kill, nats-server restart, revoked credentials,
// replicas): a real nats-server in operator mode, an accounts directory the daemon watches, a
// webhook receiver, and the daemon run as a child process exactly as an operator runs it.
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ConsumerInfo, JetStreamClient, JetStreamManager } from "@nats-io/jetstream";
import {
  freePort,
  provision,
  startNatsServer,
  type NatsServerHandle,
  type UserIdentity,
} from "../../src/testing/nats-server.js";
import {
  startReceiver,
  type Receiver,
  type RecordedRequest,
  type Script,
} from "../../src/testing/receiver.js";
import { Cleanup } from "../../src/testing/cleanup.js";
import { runCli, type CliRun } from "../helpers/cli-process.js";
import {
  connectAsNewUser,
  consumerIdle,
  tempDir,
  type AccountClient,
} from "../helpers/fixtures.js";

export { Cleanup };

export const STREAM = "EVENTS";
export const CONSUMER = "webhook";
export const SUBJECT = "events.created";

export interface FaultEnvOptions {
  readonly accounts: readonly string[];
  /** The consumer's ack_wait: short, so that what a dead process held comes back quickly. */
  readonly ackWaitMs: number;
  readonly script?: Script;
}

/** What a daemon of a fault test is pointed at. */
export interface DaemonTargets {
  /** The daemon's `nats.servers`, comma-separated. */
  readonly natsServers: string;
  readonly receiver: Receiver;
  /** The accounts directory the daemon watches: one subdirectory per account. */
  readonly accountsDir: string;
}

export interface FaultEnv extends DaemonTargets {
  readonly server: NatsServerHandle;
  /** Scratch space outside the accounts directory. */
  readonly scratch: string;
  /** The user each account directory's `user.creds` belongs to, by account. */
  readonly users: Map<string, UserIdentity>;
}

/**
 * A server with `accounts`, each provisioned with the stream and consumer and given an account
 * directory (`user.creds` written before `meta.yaml`, as an operator would), and a receiver.
 */
export async function startFaultEnv(options: FaultEnvOptions, cleanup: Cleanup): Promise<FaultEnv> {
  const dir = tempDir("streamhook-faults-");
  cleanup.add("remove the temporary directory", () => {
    dir.remove();
  });
  const server = await startNatsServer({ accounts: [...options.accounts] });
  cleanup.add("stop nats-server", () => server.stop());
  const receiver = await startReceiver(options.script);
  cleanup.add("close the receiver", () => receiver.close());
  const accountsDir = join(dir.path, "accounts");
  const scratch = join(dir.path, "scratch");
  mkdirSync(scratch, { recursive: true });
  const users = new Map<string, UserIdentity>();
  for (const account of options.accounts) {
    await provision(
      { url: server.url, creds: await server.createUserCreds(account) },
      {
        stream: STREAM,
        subjects: ["events.>"],
        consumer: CONSUMER,
        ackWaitMs: options.ackWaitMs,
      },
    );
    const user = await server.createUser(account, { name: `streamhook-${account}` });
    users.set(account, user);
    writeAccountDir(accountsDir, account, user.creds);
  }
  return { server, natsServers: server.url, receiver, accountsDir, scratch, users };
}

/** An account's directory as an operator writes it: `user.creds` first, then `meta.yaml`. */
export function writeAccountDir(accountsDir: string, account: string, creds: string): void {
  const accountDir = join(accountsDir, account);
  mkdirSync(accountDir, { recursive: true });
  writeFileSync(join(accountDir, "user.creds"), creds, { mode: 0o600 });
  writeFileSync(join(accountDir, "meta.yaml"), `stream: ${STREAM}\nconsumer: ${CONSUMER}\n`);
}

/** Replaces an account's creds file in one step, so the daemon never reads half of it. */
export function replaceCreds(env: FaultEnv, account: string, creds: string): void {
  const staged = join(env.scratch, `${account}-${String(Date.now())}.creds`);
  writeFileSync(staged, creds, { mode: 0o600 });
  renameSync(staged, join(env.accountsDir, account, "user.creds"));
}

/** Connects as a fresh user of `account`, never the daemon's, so revoking that one spares us. */
export async function connectAs(
  server: NatsServerHandle,
  account: string,
  cleanup: Cleanup,
): Promise<AccountClient> {
  const client = await connectAsNewUser(server, account, `test-${account}`);
  cleanup.add(`close the connection to ${account}`, () => client.close());
  return client;
}

/**
 * Publishes `count` JSON events `{ tag, i }` with JetStream, waiting for every ack, a few hundred
 * at a time so a large backlog does not pile thousands of requests on the connection at once.
 */
export async function publishEvents(
  js: JetStreamClient,
  tag: string,
  count: number,
): Promise<void> {
  const chunk = 250;
  for (let start = 0; start < count; start += chunk) {
    const end = Math.min(count, start + chunk);
    await Promise.all(
      Array.from({ length: end - start }, (_, k) =>
        js.publish(SUBJECT, JSON.stringify({ tag, i: start + k })),
      ),
    );
  }
}

/** The environment of a daemon that watches `env.accountsDir` and posts to the receiver. */
export function daemonEnv(
  env: DaemonTargets,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    STREAMHOOK_NATS_SERVERS: env.natsServers,
    STREAMHOOK_ACCOUNTS_DIR: env.accountsDir,
    STREAMHOOK_WEBHOOK_URL: env.receiver.url,
    STREAMHOOK_DELIVERY_BACKOFF: "200ms",
    STREAMHOOK_HTTP_LISTEN: "off",
    ...extra,
  };
}

/** Runs `streamhook run` as a child process; SIGKILLed at cleanup unless it exited already. */
export function startDaemonProcess(env: Record<string, string>, cleanup: Cleanup): CliRun {
  const run = runCli(["run"], env);
  cleanup.add("kill the daemon", () => run.kill());
  return run;
}

/** The last lines of a daemon's output, for failure messages. */
export function tail(run: CliRun, lines = 15): string {
  const out = run.stdout().trim().split("\n").slice(-lines).join("\n");
  const err = run.stderr().trim();
  return `--- daemon stdout (tail) ---\n${out}${err === "" ? "" : `\n--- stderr ---\n${err}`}`;
}

/** Adds the daemons' recent output to an error, so a timeout says what the daemon was doing. */
export async function explained<T>(runs: readonly CliRun[], work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(`${message}\n${runs.map((run) => tail(run)).join("\n")}`, { cause: error });
  }
}

export interface ReadyzAccount {
  readonly name: string;
  readonly state: string;
  readonly reason?: string;
}

export interface Readyz {
  readonly status: number;
  readonly accounts: readonly ReadyzAccount[];
}

export async function readyz(port: number): Promise<Readyz> {
  const response = await fetch(`http://127.0.0.1:${String(port)}/readyz`);
  const body = (await response.json()) as { accounts?: ReadyzAccount[] };
  return { status: response.status, accounts: body.accounts ?? [] };
}

export const accountState = (ready: Readyz, name: string): ReadyzAccount | undefined =>
  ready.accounts.find((a) => a.name === name);

/** A free port for a daemon's HTTP endpoints. */
export async function httpListen(): Promise<{ port: number; listen: string }> {
  const port = await freePort();
  return { port, listen: `127.0.0.1:${String(port)}` };
}

export const webhookIds = (requests: readonly RecordedRequest[]): Set<string> =>
  new Set(requests.map((r) => r.headers["webhook-id"] ?? ""));

/** The requests the daemon made for one account, as a filter. */
export const forAccount =
  (account: string) =>
  (r: RecordedRequest): boolean =>
    r.headers["streamhook-account"] === account;

export const ofAccount = (
  requests: readonly RecordedRequest[],
  account: string,
): RecordedRequest[] => requests.filter(forAccount(account));

export async function consumerInfo(jsm: JetStreamManager): Promise<ConsumerInfo> {
  return jsm.consumers.info(STREAM, CONSUMER);
}

/** Nothing left for the consumer: every message was delivered and acked. */
export const drained = (jsm: JetStreamManager): Promise<boolean> =>
  consumerIdle(jsm, STREAM, CONSUMER);
