// A real nats-server for tests and the demo: free ports, a temporary JetStream store, and either
// no authentication or operator mode with generated accounts. No test-framework imports here.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { accessSync, constants, mkdtempSync, rmSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { createServer, Socket } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import {
  encodeAccount,
  encodeOperator,
  encodeUser,
  fmtCreds,
  type OperatorLimits,
  type RevocationList,
} from "@nats-io/jwt";
import { createAccount, createOperator, createUser, fromSeed, type KeyPair } from "@nats-io/nkeys";
import {
  AckPolicy,
  DeliverPolicy,
  StorageType,
  jetstreamManager,
  type ConsumerInfo,
  type StreamInfo,
} from "@nats-io/jetstream";
import { connect, credsAuthenticator, nanos, type NatsConnection } from "@nats-io/transport-node";

// ---------------------------------------------------------------------------------------------
// Finding the binary

export class NatsServerNotFoundError extends Error {
  override readonly name = "NatsServerNotFoundError";
}

/** nats-server exited or never became healthy; `output` is the tail of its stdout and stderr. */
export class NatsServerStartError extends Error {
  override readonly name = "NatsServerStartError";
  constructor(
    message: string,
    readonly output: string,
  ) {
    super(output === "" ? message : `${message}\n--- nats-server output ---\n${output}`);
  }
}

const FALLBACK_DIRS = ["/usr/sbin", "/usr/local/bin", "/usr/bin", "/usr/local/sbin"] as const;

const INSTALL_ADVICE =
  "Install it (Debian/Ubuntu, as root: `apt-get install -y nats-server`, or run " +
  "scripts/ensure-nats-server.sh; elsewhere see " +
  "https://docs.nats.io/running-a-nats-service/introduction/installation), " +
  "or set NATS_SERVER_BIN to its path.";

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The nats-server binary: `NATS_SERVER_BIN`, else `PATH`, else /usr/sbin, /usr/local/bin, ... */
export function findNatsServer(env: NodeJS.ProcessEnv = process.env): string {
  const configured = env.NATS_SERVER_BIN;
  if (configured !== undefined && configured !== "") {
    if (isExecutable(configured)) return configured;
    throw new NatsServerNotFoundError(
      `NATS_SERVER_BIN=${configured} is not an executable file. ${INSTALL_ADVICE}`,
    );
  }
  const pathDirs = (env.PATH ?? "").split(delimiter).filter((d) => d !== "");
  for (const dir of [...pathDirs, ...FALLBACK_DIRS]) {
    const candidate = join(dir, "nats-server");
    if (isExecutable(candidate)) return candidate;
  }
  throw new NatsServerNotFoundError(`nats-server was not found. ${INSTALL_ADVICE}`);
}

/** `nats-server --version`, e.g. "nats-server: v2.9.10". */
export function natsServerVersion(bin: string = findNatsServer()): string {
  return spawnSync(bin, ["--version"], { encoding: "utf8" }).stdout.trim();
}

// ---------------------------------------------------------------------------------------------
// Identities: operator, accounts, users

export interface OperatorIdentity {
  readonly name: string;
  readonly publicKey: string;
  readonly seed: string;
  readonly jwt: string;
}

export interface SigningKeyIdentity {
  readonly publicKey: string;
  readonly seed: string;
}

export interface AccountIdentity {
  readonly name: string;
  readonly publicKey: string;
  readonly seed: string;
  /** The account JWT the server currently knows (changes with `updateAccount`). */
  readonly jwt: string;
  /** Present with `signingKeys: true`: users are then issued by this key, not the account key. */
  readonly signingKey?: SigningKeyIdentity;
}

export interface UserIdentity {
  readonly account: string;
  readonly name: string;
  readonly publicKey: string;
  readonly seed: string;
  readonly jwt: string;
  /** The text of a `.creds` file. */
  readonly creds: string;
}

export interface UserOptions {
  readonly name?: string;
  /** Absolute expiry, unix time in seconds (the JWT `exp` claim). */
  readonly expires?: number;
  /** Expiry relative to now, in seconds. */
  readonly expiresInSeconds?: number;
}

export interface AccountChanges {
  /** Merged over the unlimited defaults. */
  readonly limits?: Readonly<OperatorLimits>;
  /** User public key -> unix seconds: users issued at or before that time are refused. */
  readonly revocations?: Readonly<RevocationList>;
}

export const SYSTEM_ACCOUNT = "SYS";

// In operator mode, a limit an account JWT leaves out counts as zero: no NATS limits means no
// connections, no JetStream limits means no JetStream. Every limit is therefore spelled out.
const UNLIMITED_NATS: Readonly<OperatorLimits> = {
  subs: -1,
  data: -1,
  payload: -1,
  imports: -1,
  exports: -1,
  wildcards: true,
  conn: -1,
  leaf: -1,
};
const UNLIMITED_JETSTREAM: Readonly<OperatorLimits> = {
  mem_storage: -1,
  disk_storage: -1,
  streams: -1,
  consumer: -1,
  mem_max_stream_bytes: -1,
  disk_max_stream_bytes: -1,
  max_ack_pending: -1,
  max_bytes_required: false,
};
// The system account must not have JetStream.
const SYSTEM_LIMITS: Readonly<OperatorLimits> = { ...UNLIMITED_NATS };
const TENANT_LIMITS: Readonly<OperatorLimits> = { ...UNLIMITED_NATS, ...UNLIMITED_JETSTREAM };

const seedText = (kp: KeyPair): string => new TextDecoder().decode(kp.getSeed());
const keyPair = (seed: string): KeyPair => fromSeed(new TextEncoder().encode(seed));
const nowSeconds = (): number => Math.floor(Date.now() / 1000);

interface AccountRecord {
  identity: AccountIdentity;
  readonly limits: Readonly<OperatorLimits>;
  revocations: Readonly<RevocationList>;
}

interface Trust {
  readonly operator: OperatorIdentity;
  readonly accounts: Map<string, AccountRecord>;
}

async function accountJwt(
  name: string,
  account: KeyPair,
  signingKey: string | undefined,
  nats: { limits: Readonly<OperatorLimits>; revocations: Readonly<RevocationList> },
  operator: OperatorIdentity,
): Promise<string> {
  const claims = {
    limits: { ...nats.limits },
    ...(Object.keys(nats.revocations).length > 0 && { revocations: { ...nats.revocations } }),
    ...(signingKey !== undefined && { signing_keys: [signingKey] }),
  };
  return encodeAccount(name, account, claims, { signer: keyPair(operator.seed) });
}

async function newAccount(
  name: string,
  limits: Readonly<OperatorLimits>,
  withSigningKey: boolean,
  operator: OperatorIdentity,
): Promise<AccountRecord> {
  const kp = createAccount();
  const sk = withSigningKey ? createAccount() : undefined;
  const signingKey =
    sk === undefined ? undefined : { publicKey: sk.getPublicKey(), seed: seedText(sk) };
  const jwt = await accountJwt(
    name,
    kp,
    signingKey?.publicKey,
    { limits, revocations: {} },
    operator,
  );
  const identity: AccountIdentity = {
    name,
    publicKey: kp.getPublicKey(),
    seed: seedText(kp),
    jwt,
    ...(signingKey !== undefined && { signingKey }),
  };
  return { identity, limits, revocations: {} };
}

async function createTrust(names: readonly string[], signingKeys: boolean): Promise<Trust> {
  if (names.includes(SYSTEM_ACCOUNT)) {
    throw new Error(`"${SYSTEM_ACCOUNT}" is the system account's name; choose another`);
  }
  if (new Set(names).size !== names.length) throw new Error("account names must be unique");
  const okp = createOperator();
  const sys = createAccount();
  const jwt = await encodeOperator("streamhook-test", okp, {
    system_account: sys.getPublicKey(),
  });
  const operator: OperatorIdentity = {
    name: "streamhook-test",
    publicKey: okp.getPublicKey(),
    seed: seedText(okp),
    jwt,
  };
  const sysJwt = await encodeAccount(
    SYSTEM_ACCOUNT,
    sys,
    { limits: { ...SYSTEM_LIMITS } },
    { signer: okp },
  );
  const accounts = new Map<string, AccountRecord>([
    [
      SYSTEM_ACCOUNT,
      {
        identity: {
          name: SYSTEM_ACCOUNT,
          publicKey: sys.getPublicKey(),
          seed: seedText(sys),
          jwt: sysJwt,
        },
        limits: SYSTEM_LIMITS,
        revocations: {},
      },
    ],
  ]);
  for (const name of names) {
    accounts.set(name, await newAccount(name, TENANT_LIMITS, signingKeys, operator));
  }
  return { operator, accounts };
}

function expiry(options: UserOptions): number {
  if (options.expires !== undefined) return options.expires;
  if (options.expiresInSeconds !== undefined) return nowSeconds() + options.expiresInSeconds;
  return 0;
}

async function newUser(account: AccountIdentity, options: UserOptions): Promise<UserIdentity> {
  const user = createUser();
  const name = options.name ?? `${account.name}-user`;
  const accountKey = keyPair(account.seed);
  const encodeOptions = {
    exp: expiry(options),
    ...(account.signingKey !== undefined && { signer: keyPair(account.signingKey.seed) }),
  };
  const jwt = await encodeUser(name, user, accountKey, {}, encodeOptions);
  return {
    account: account.name,
    name,
    publicKey: user.getPublicKey(),
    seed: seedText(user),
    jwt,
    creds: new TextDecoder().decode(fmtCreds(jwt, user)),
  };
}

// ---------------------------------------------------------------------------------------------
// Configuration

export interface StartNatsServerOptions {
  /** Tenant account names: operator mode (plus a system account "SYS"). Omitted: no auth. */
  readonly accounts?: readonly string[];
  /** Enable JetStream (default true). */
  readonly jetstream?: boolean;
  /** Client port; default a free one. */
  readonly port?: number;
  /** JetStream store directory to use (and keep on stop), e.g. to restart on the same data. */
  readonly storeDir?: string;
  /** Appended verbatim to the generated configuration. */
  readonly extraConfig?: string;
  /** Give each tenant account a signing key and issue its users with it. */
  readonly signingKeys?: boolean;
  /** How long start-up may take before it is an error (default 20 s). */
  readonly startTimeoutMs?: number;
}

interface Ports {
  readonly client: number;
  readonly monitor: number;
}

const quote = (s: string): string => JSON.stringify(s);

function operatorConfig(trust: Trust): string[] {
  const system = trust.accounts.get(SYSTEM_ACCOUNT);
  if (system === undefined) throw new Error("no system account");
  const preload = [...trust.accounts.values()].map(
    (a) => `  ${a.identity.publicKey}: ${quote(a.identity.jwt)}`,
  );
  return [
    `operator: ${quote(trust.operator.jwt)}`,
    `system_account: ${system.identity.publicKey}`,
    "resolver: MEMORY",
    `resolver_preload: {\n${preload.join("\n")}\n}`,
  ];
}

function configText(
  ports: Ports,
  storeDir: string,
  options: StartNatsServerOptions,
  trust: Trust | undefined,
): string {
  const lines = [
    `server_name: "streamhook-test"`,
    `listen: "127.0.0.1:${ports.client}"`,
    `http: "127.0.0.1:${ports.monitor}"`,
  ];
  if (options.jetstream ?? true) {
    lines.push(`jetstream: { store_dir: ${quote(storeDir)}, max_mem: 256MB, max_file: 2GB }`);
  }
  if (trust !== undefined) lines.push(...operatorConfig(trust));
  if (options.extraConfig !== undefined) lines.push(options.extraConfig);
  return `${lines.join("\n")}\n`;
}

/** A port the OS just handed out; someone else may take it before we bind, so callers retry. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => {
        resolve(port);
      });
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Processes

const live = new Set<ChildProcess>();
/** Temporary directories of servers not stopped yet. */
const liveDirs = new Set<string>();
let exitHookInstalled = false;

/**
 * When this process exits (normally, by process.exit or an uncaught error), kills every server
 * still running and removes its temporary directory.
 */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once("exit", () => {
    for (const child of live) child.kill("SIGKILL");
    for (const dir of liveDirs) rmSync(dir, { recursive: true, force: true });
  });
}

/**
 * A `sh` that kills `pid` and removes `dir` once our end of its stdin closes, which the kernel
 * does when this process dies in any way, including SIGKILL and signals that skip 'exit'.
 */
function spawnWatchdog(pid: number, dir: string): ChildProcess {
  const script = 'read -r _; kill -9 "$0" 2>/dev/null; rm -rf -- "$1"';
  const watchdog = spawn("/bin/sh", ["-c", script, String(pid), dir], {
    stdio: ["pipe", "ignore", "ignore"],
  });
  watchdog.on("error", () => {
    // Best effort: without /bin/sh only the 'exit' hook protects against leaks.
  });
  watchdog.unref();
  if (watchdog.stdin instanceof Socket) watchdog.stdin.unref();
  return watchdog;
}

const MAX_OUTPUT = 64 * 1024;

class OutputBuffer {
  private text = "";
  append(chunk: Buffer): void {
    this.text += chunk.toString("utf8");
    if (this.text.length > MAX_OUTPUT) this.text = this.text.slice(-MAX_OUTPUT);
  }
  clear(): void {
    this.text = "";
  }
  toString(): string {
    return this.text;
  }
}

interface Running {
  readonly child: ChildProcess;
  readonly exited: Promise<void>;
}

const hasExited = (child: ChildProcess): boolean =>
  child.exitCode !== null || child.signalCode !== null;

function launch(bin: string, dir: string, conf: string, output: OutputBuffer): Running {
  const child = spawn(bin, ["-c", conf], { stdio: ["ignore", "pipe", "pipe"] });
  const exited = new Promise<void>((resolve) => {
    child.once("close", () => {
      resolve();
    });
    child.once("error", (error) => {
      output.append(Buffer.from(`spawn ${bin}: ${error.message}\n`));
      resolve();
    });
  });
  child.stdout.on("data", (chunk: Buffer) => {
    output.append(chunk);
  });
  child.stderr.on("data", (chunk: Buffer) => {
    output.append(chunk);
  });
  live.add(child);
  // Never `kill 0` (the whole process group) when the spawn itself failed.
  const watchdog = child.pid === undefined ? undefined : spawnWatchdog(child.pid, dir);
  void exited.then(() => {
    live.delete(child);
    watchdog?.kill("SIGKILL");
  });
  return { child, exited };
}

/** Signals the process, escalating to SIGKILL after `graceMs`, and waits until it is gone. */
async function terminate(running: Running, signal: NodeJS.Signals, graceMs = 5_000): Promise<void> {
  if (!hasExited(running.child)) {
    running.child.kill(signal);
    const timer = setTimeout(() => running.child.kill("SIGKILL"), graceMs);
    await running.exited;
    clearTimeout(timer);
  }
  await running.exited;
}

async function getJson(url: string): Promise<{ ok: boolean; body: unknown }> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    const body: unknown = await response.json().catch(() => undefined);
    return { ok: response.ok, body };
  } catch {
    return { ok: false, body: undefined }; // Not listening yet.
  }
}

/**
 * /healthz answers 200 once the client port accepts connections. nats-server 2.9 ignores
 * `js-enabled-only` (2.10+) and starts its monitor before JetStream, so with JetStream /jsz must
 * also show it enabled.
 */
async function healthy(monitorPort: number, jetstream: boolean): Promise<boolean> {
  const base = `http://127.0.0.1:${monitorPort}`;
  const query = jetstream ? "?js-enabled-only=true" : "";
  if (!(await getJson(`${base}/healthz${query}`)).ok) return false;
  if (!jetstream) return true;
  const jsz = await getJson(`${base}/jsz`);
  if (!jsz.ok || typeof jsz.body !== "object" || jsz.body === null) return false;
  return !("disabled" in jsz.body) || jsz.body.disabled !== true;
}

/** Resolves when /healthz answers 200; rejects at once when the process exits. */
async function waitReady(
  running: Running,
  ports: Ports,
  jetstream: boolean,
  output: OutputBuffer,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const state = { gone: false };
  void running.exited.then(() => (state.gone = true));
  for (;;) {
    if (state.gone) {
      const { exitCode, signalCode } = running.child;
      throw new NatsServerStartError(
        `nats-server exited during start-up (code ${String(exitCode)}, signal ${String(signalCode)})`,
        output.toString(),
      );
    }
    if (await healthy(ports.monitor, jetstream)) return;
    if (Date.now() > deadline) {
      await terminate(running, "SIGKILL");
      throw new NatsServerStartError(
        `nats-server was not healthy within ${timeoutMs} ms`,
        output.toString(),
      );
    }
    await Promise.race([delay(20), running.exited]);
  }
}

const portInUse = (output: OutputBuffer): boolean =>
  /address already in use/i.test(output.toString());

// ---------------------------------------------------------------------------------------------
// The handle

export interface NatsServerHandle {
  /** nats://127.0.0.1:PORT */
  readonly url: string;
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
    private readonly bin: string,
    private readonly options: StartNatsServerOptions,
    private readonly trust: Trust | undefined,
  ) {
    this.dir = mkdtempSync(join(tmpdir(), "streamhook-nats-"));
    liveDirs.add(this.dir);
    installExitHook();
    this.storeDir = options.storeDir ?? join(this.dir, "store");
    this.conf = join(this.dir, "nats.conf");
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
    return this.running?.child.pid;
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
    const running = launch(this.bin, this.dir, this.conf, this.output_);
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
    if (this.running !== undefined) await terminate(this.running, "SIGTERM");
    await rm(this.dir, { recursive: true, force: true });
    liveDirs.delete(this.dir);
  }

  async kill(): Promise<void> {
    if (this.running !== undefined) await terminate(this.running, "SIGKILL");
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
    const limits = { ...record.limits, ...changes.limits };
    const revocations = { ...record.revocations, ...changes.revocations };
    const { identity } = record;
    const operator = this.trust?.operator;
    if (operator === undefined) throw new Error("updateAccount needs operator mode");
    const jwt = await accountJwt(
      identity.name,
      keyPair(identity.seed),
      identity.signingKey?.publicKey,
      { limits, revocations },
      operator,
    );
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
 * until it is healthy. With `accounts`, it runs in operator mode with a MEMORY resolver.
 */
export async function startNatsServer(
  options: StartNatsServerOptions = {},
): Promise<NatsServerHandle> {
  const bin = findNatsServer();
  const trust =
    options.accounts === undefined
      ? undefined
      : await createTrust(options.accounts, options.signingKeys ?? false);
  const server = new NatsServer(bin, options, trust);
  try {
    await server.start();
  } catch (error) {
    await server.stop();
    throw error;
  }
  return server;
}

// ---------------------------------------------------------------------------------------------
// Provisioning, as an operator does before streamhook runs

export interface ProvisionOptions {
  readonly stream: string;
  readonly subjects: readonly string[];
  /** Durable pull consumer, explicit acks. */
  readonly consumer: string;
  /** Default 30 s. */
  readonly ackWaitMs?: number;
  /** Default -1 (unlimited). */
  readonly maxDeliver?: number;
  /** Default 10000. */
  readonly maxAckPending?: number;
  readonly filterSubject?: string;
  /** Default "file". */
  readonly storage?: "file" | "memory";
}

export type ProvisionTarget =
  NatsConnection | { readonly url: string; readonly creds?: string | Uint8Array };

export interface Provisioned {
  readonly stream: StreamInfo;
  readonly consumer: ConsumerInfo;
}

async function connectTo(target: ProvisionTarget): Promise<{ nc: NatsConnection; own: boolean }> {
  if (!("url" in target)) return { nc: target, own: false };
  const creds =
    typeof target.creds === "string" ? new TextEncoder().encode(target.creds) : target.creds;
  const nc = await connect({
    servers: target.url,
    ...(creds !== undefined && { authenticator: credsAuthenticator(creds) }),
  });
  return { nc, own: true };
}

/** Creates (or confirms, when identical) a stream and a durable pull consumer with explicit acks. */
export async function provision(
  target: ProvisionTarget,
  options: ProvisionOptions,
): Promise<Provisioned> {
  const { nc, own } = await connectTo(target);
  try {
    const jsm = await jetstreamManager(nc);
    const stream = await jsm.streams.add({
      name: options.stream,
      subjects: [...options.subjects],
      storage: options.storage === "memory" ? StorageType.Memory : StorageType.File,
    });
    const consumer = await jsm.consumers.add(options.stream, {
      durable_name: options.consumer,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ack_wait: nanos(options.ackWaitMs ?? 30_000),
      max_deliver: options.maxDeliver ?? -1,
      max_ack_pending: options.maxAckPending ?? 10_000,
      ...(options.filterSubject !== undefined && { filter_subject: options.filterSubject }),
    });
    return { stream, consumer };
  } finally {
    if (own) await nc.close();
  }
}
