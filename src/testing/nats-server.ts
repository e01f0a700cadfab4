// A real nats-server for tests and the demo: free ports, a temporary JetStream store, and either
// no authentication or operator mode with generated accounts. No test-framework imports here.
// The pieces live next to this file; everything callers use is re-exported from here.
import { mkdtempSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, sep } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { connect, credsAuthenticator } from "@nats-io/transport-node";
import { freePort } from "./free-port.js";
import {
  SYSTEM_ACCOUNT,
  type AccountChanges,
  type AccountIdentity,
  type OperatorIdentity,
  type UserIdentity,
  type UserOptions,
} from "./identities.js";
import { launchContainer } from "./container-process.js";
import { chooseNatsBackend, systemProbe, type NatsBackend } from "./nats-backend.js";
import { waitReady } from "./readiness.js";
import {
  DEFAULT_SERVER_NAME,
  configText,
  type Ports,
  type StartNatsServerOptions,
} from "./server-config.js";
import {
  OutputBuffer,
  launch,
  portInUse,
  releaseTempDir,
  terminate,
  trackTempDir,
  type Running,
} from "./server-process.js";
import {
  changedAccountJwt,
  createTrust,
  newUser,
  nowSeconds,
  type AccountRecord,
  type Trust,
} from "./trust.js";

export { freePort } from "./free-port.js";
export {
  SYSTEM_ACCOUNT,
  type AccountChanges,
  type AccountIdentity,
  type OperatorIdentity,
  type SigningKeyIdentity,
  type UserIdentity,
  type UserOptions,
} from "./identities.js";
export { NatsServerNotFoundError, findNatsServer, natsServerVersion } from "./nats-binary.js";
export { chooseNatsBackend, type NatsBackend } from "./nats-backend.js";
export {
  provision,
  type ProvisionOptions,
  type ProvisionTarget,
  type Provisioned,
} from "./provision.js";
export { NatsServerStartError } from "./readiness.js";
export type { StartNatsServerOptions } from "./server-config.js";

export interface NatsServerHandle {
  /** nats://127.0.0.1:PORT */
  readonly url: string;
  /** The `server_name` it runs with, as cluster views and stream infos name it. */
  readonly serverName: string;
  readonly port: number;
  /** http://127.0.0.1:PORT of the monitoring endpoint (changes on restart). */
  readonly monitorUrl: string;
  /** The temporary directory holding the configuration (and the store unless given). */
  readonly dir: string;
  readonly storeDir: string;
  /** Operator mode only: the operator. */
  readonly operator: OperatorIdentity | undefined;
  /** Operator mode: the tenant accounts and "SYS", by name. Empty without auth. */
  readonly accounts: ReadonlyMap<string, AccountIdentity>;
  readonly pid: number | undefined;
  /** A new user of `account`, with its keys and `.creds` text (operator mode). */
  createUser(account: string, options?: UserOptions): Promise<UserIdentity>;
  /** The `.creds` text of a new user of `account` (operator mode). */
  createUserCreds(account: string, options?: UserOptions): Promise<string>;
  /** Same as `createUserCreds` (older name). */
  userCreds(account: string, options?: UserOptions): Promise<string>;
  /** Writes a new user's `.creds` for `account` to `path`, mode 0600. */
  writeCreds(account: string, path: string, options?: UserOptions): Promise<void>;
  /** Re-issues the account JWT and pushes it to the running server through the system account. */
  updateAccount(account: string, changes: AccountChanges): Promise<AccountIdentity>;
  /** Revokes a user (its public key) by updating its account. */
  revokeUser(account: string, userPublicKey: string): Promise<void>;
  /** The tail of the server's stdout and stderr. */
  output(): string;
  /** SIGTERM, SIGKILL after 5 s; removes the temporary directory (not a given `storeDir`). */
  stop(): Promise<void>;
  /** SIGKILL; keeps everything for `restart`. */
  kill(): Promise<void>;
  /** Stops the server if it runs (SIGTERM) and starts it again on the same port and store. */
  restart(): Promise<void>;
  /** SIGSTOP: the process stays, its sockets open, and answers nothing until `resume`. */
  pause(): void;
  /** SIGCONT after `pause`. */
  resume(): void;
}

/** Starts one nats-server run on a written configuration. */
type Launcher = (
  dir: string,
  storeDir: string,
  conf: string,
  output: OutputBuffer,
) => Promise<Running>;

function launcherFor(backend: NatsBackend): Launcher {
  if (backend.kind === "binary") {
    return (dir, _storeDir, conf, output) =>
      Promise.resolve(launch(backend.bin, dir, conf, output));
  }
  return (dir, storeDir, conf, output) => {
    const mounts = storeDir.startsWith(dir + sep) ? [dir] : [dir, storeDir];
    return launchContainer(backend.image, mounts, conf, output);
  };
}

class NatsServer implements NatsServerHandle {
  readonly dir: string;
  readonly storeDir: string;
  private readonly conf: string;
  private readonly output_ = new OutputBuffer();
  private running: Running | undefined;
  private ports: Ports = { client: 0, monitor: 0 };
  private stopped = false;

  constructor(
    private readonly launcher: Launcher,
    private readonly options: StartNatsServerOptions,
    private readonly trust: Trust | undefined,
  ) {
    this.dir = mkdtempSync(join(tmpdir(), "streamhook-nats-"));
    trackTempDir(this.dir);
    this.storeDir = options.storeDir ?? join(this.dir, "store");
    this.conf = join(this.dir, "nats.conf");
  }

  get serverName(): string {
    return this.options.serverName ?? DEFAULT_SERVER_NAME;
  }
  get url(): string {
    return `nats://127.0.0.1:${this.ports.client}`;
  }
  get port(): number {
    return this.ports.client;
  }
  get monitorUrl(): string {
    return `http://127.0.0.1:${this.ports.monitor}`;
  }
  get pid(): number | undefined {
    return this.running?.pid;
  }
  get operator(): OperatorIdentity | undefined {
    return this.trust?.operator;
  }
  get accounts(): ReadonlyMap<string, AccountIdentity> {
    const entries = [...(this.trust?.accounts ?? new Map<string, AccountRecord>())].map(
      ([name, record]) => [name, record.identity] as const,
    );
    return new Map(entries);
  }

  /** First start: free ports, retried when another process grabs one first. */
  async start(): Promise<void> {
    await mkdir(this.storeDir, { recursive: true });
    const fixedPort = this.options.port;
    for (let attempt = 1; ; attempt++) {
      const ports = { client: fixedPort ?? (await freePort()), monitor: await freePort() };
      try {
        await this.spawnAt(ports);
        return;
      } catch (error) {
        if (!portInUse(this.output_) || attempt >= 8) throw error;
      }
    }
  }

  /** Same client port; a new monitor port only if the old one was taken meanwhile. */
  async restart(): Promise<void> {
    if (this.stopped) throw new Error("restart after stop(): start a new server instead");
    if (this.running !== undefined) await terminate(this.running, "SIGTERM");
    let monitor = this.ports.monitor;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.spawnAt({ client: this.ports.client, monitor });
        return;
      } catch (error) {
        if (!portInUse(this.output_) || attempt >= 20) throw error;
        monitor = await freePort();
        await delay(100); // The client port itself may still be held for a moment.
      }
    }
  }

  private async spawnAt(ports: Ports): Promise<void> {
    await writeFile(this.conf, configText(ports, this.storeDir, this.options, this.trust));
    this.output_.clear();
    this.ports = ports;
    const running = await this.launcher(this.dir, this.storeDir, this.conf, this.output_);
    this.running = running;
    await waitReady(
      running,
      ports,
      this.options.jetstream ?? true,
      this.output_,
      this.options.startTimeoutMs ?? 20_000,
    );
  }

  async stop(): Promise<void> {
    this.stopped = true;
    // A paused server would take SIGTERM only once continued.
    this.resume();
    if (this.running !== undefined) await terminate(this.running, "SIGTERM");
    await rm(this.dir, { recursive: true, force: true });
    releaseTempDir(this.dir);
  }

  async kill(): Promise<void> {
    if (this.running !== undefined) await terminate(this.running, "SIGKILL");
  }

  pause(): void {
    this.running?.signal("SIGSTOP");
  }

  resume(): void {
    this.running?.signal("SIGCONT");
  }

  output(): string {
    return this.output_.toString();
  }

  private record(account: string): AccountRecord {
    if (this.trust === undefined) {
      throw new Error("user credentials need operator mode: start the server with `accounts`");
    }
    const record = this.trust.accounts.get(account);
    if (record === undefined) {
      const known = [...this.trust.accounts.keys()].join(", ");
      throw new Error(`no account "${account}" (known: ${known})`);
    }
    return record;
  }

  async createUser(account: string, options: UserOptions = {}): Promise<UserIdentity> {
    return newUser(this.record(account).identity, options);
  }

  async createUserCreds(account: string, options: UserOptions = {}): Promise<string> {
    return (await this.createUser(account, options)).creds;
  }

  userCreds(account: string, options: UserOptions = {}): Promise<string> {
    return this.createUserCreds(account, options);
  }

  async writeCreds(account: string, path: string, options: UserOptions = {}): Promise<void> {
    await writeFile(path, await this.createUserCreds(account, options), { mode: 0o600 });
  }

  async updateAccount(account: string, changes: AccountChanges): Promise<AccountIdentity> {
    const record = this.record(account);
    const { identity } = record;
    const operator = this.trust?.operator;
    if (operator === undefined) throw new Error("updateAccount needs operator mode");
    const { jwt, revocations } = await changedAccountJwt(record, changes, operator);
    await this.pushAccountJwt(identity.publicKey, jwt);
    record.identity = { ...identity, jwt };
    record.revocations = revocations;
    // A restart must come back with the new JWT too.
    await writeFile(this.conf, configText(this.ports, this.storeDir, this.options, this.trust));
    return record.identity;
  }

  async revokeUser(account: string, userPublicKey: string): Promise<void> {
    await this.updateAccount(account, { revocations: { [userPublicKey]: nowSeconds() } });
  }

  private async pushAccountJwt(accountPublicKey: string, jwt: string): Promise<void> {
    const creds = await this.createUserCreds(SYSTEM_ACCOUNT, { name: "streamhook-test-admin" });
    const nc = await connect({
      servers: this.url,
      authenticator: credsAuthenticator(new TextEncoder().encode(creds)),
    });
    try {
      const subject = `$SYS.REQ.ACCOUNT.${accountPublicKey}.CLAIMS.UPDATE`;
      const reply = await nc.request(subject, jwt, { timeout: 5_000 });
      const answer = reply.json<{ error?: { description?: string } }>();
      if (answer.error !== undefined) {
        throw new Error(`account update refused: ${answer.error.description ?? reply.string()}`);
      }
    } finally {
      await nc.close();
    }
  }
}

/**
 * Starts a real nats-server (JetStream on unless `jetstream: false`) on free ports and waits
 * until it is healthy: the local binary, or a container where there is none (nats-backend.ts). With `accounts`, it runs in operator mode with a MEMORY resolver.
 */
export async function startNatsServer(
  options: StartNatsServerOptions = {},
): Promise<NatsServerHandle> {
  const trust =
    options.accounts === undefined
      ? undefined
      : await createTrust(options.accounts, options.signingKeys ?? false);
  return startWithTrust(options, trust);
}

/** Starts a server that shares `trust` with others, as the members of a cluster do. */
export async function startWithTrust(
  options: StartNatsServerOptions,
  trust: Trust | undefined,
): Promise<NatsServerHandle> {
  const launcher = launcherFor(await chooseNatsBackend(systemProbe()));
  const server = new NatsServer(launcher, options, trust);
  try {
    await server.start();
  } catch (error) {
    await server.stop();
    throw error;
  }
  return server;
}
