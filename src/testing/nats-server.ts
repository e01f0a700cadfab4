import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { freePort } from "./free-port.js";
import { createOperatorSetup, type Operator } from "./operator.js";

export class NatsServerNotFoundError extends Error {
  override readonly name = "NatsServerNotFoundError";
}

const FALLBACK_DIRS = ["/usr/sbin", "/usr/local/bin", "/usr/bin"];

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The nats-server binary: `NATS_SERVER_BIN`, then `PATH`, then the usual system directories. */
export function findNatsServer(env: NodeJS.ProcessEnv = process.env): string {
  const configured = env.NATS_SERVER_BIN;
  if (configured !== undefined && configured !== "") {
    if (isExecutable(configured)) return configured;
    throw new NatsServerNotFoundError(`NATS_SERVER_BIN=${configured} is not an executable file`);
  }
  const dirs = [...(env.PATH ?? "").split(delimiter).filter((d) => d !== ""), ...FALLBACK_DIRS];
  for (const dir of dirs) {
    const candidate = join(dir, "nats-server");
    if (isExecutable(candidate)) return candidate;
  }
  throw new NatsServerNotFoundError(
    "nats-server not found. Install it (Debian/Ubuntu: apt-get install nats-server; or see " +
      "https://docs.nats.io/running-a-nats-service/introduction/installation) or set NATS_SERVER_BIN.",
  );
}

export function natsServerVersion(bin: string): string {
  return spawnSync(bin, ["--version"], { encoding: "utf8" }).stdout.trim();
}

export interface StartOptions {
  /** Tenant accounts to create in operator mode. Without it the server runs without auth. */
  readonly accounts?: readonly string[];
  /** Reuse a JetStream store, e.g. to restart on the same data. */
  readonly storeDir?: string;
  readonly port?: number;
}

export interface NatsServerHandle {
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  readonly storeDir: string;
  /** Present in operator mode. */
  readonly operator: Operator | undefined;
  /** The `.creds` text of a new user of `account` (operator mode). */
  userCreds(
    account: string,
    options?: { name?: string; expiresInSeconds?: number },
  ): Promise<string>;
  /** Writes a new user's creds for `account` to `path` with mode 0600. */
  writeCreds(account: string, path: string): Promise<void>;
  /** The server's recent output, for failure messages. */
  output(): string;
  /** SIGTERM, then SIGKILL after 5 s; removes the temporary directory. */
  stop(): Promise<void>;
  /** SIGKILL, keeping the store for a restart. */
  kill(): Promise<void>;
  /** Starts again on the same port and store. */
  restart(): Promise<void>;
}

const live = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of live) child.kill("SIGKILL");
});

function configText(
  port: number,
  monitorPort: number,
  storeDir: string,
  operator: Operator | undefined,
): string {
  const lines = [
    `listen: "127.0.0.1:${port}"`,
    `http: "127.0.0.1:${monitorPort}"`,
    `jetstream: { store_dir: ${JSON.stringify(storeDir)}, max_mem: 256MB, max_file: 4GB }`,
  ];
  if (operator !== undefined) {
    lines.push(`operator: ${operator.jwt}`);
    lines.push(`system_account: ${operator.system.publicKey}`);
    lines.push("resolver: MEMORY");
    const preload = [operator.system, ...operator.accounts.values()]
      .map((a) => `  ${a.publicKey}: ${a.jwt}`)
      .join("\n");
    lines.push(`resolver_preload: {\n${preload}\n}`);
  }
  return `${lines.join("\n")}\n`;
}

async function waitHealthy(
  monitorPort: number,
  child: ChildProcess,
  output: () => string,
): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`nats-server exited during start-up:\n${output()}`);
    }
    try {
      const response = await fetch(`http://127.0.0.1:${monitorPort}/healthz?js-enabled-only=true`);
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`nats-server did not become healthy within 15 s:\n${output()}`);
}

/** Starts a real nats-server with JetStream on free ports; in operator mode when accounts are given. */
export async function startNatsServer(options: StartOptions = {}): Promise<NatsServerHandle> {
  const bin = findNatsServer();
  const dir = mkdtempSync(join(tmpdir(), "streamhook-nats-"));
  const storeDir = options.storeDir ?? join(dir, "store");
  const operator =
    options.accounts === undefined ? undefined : await createOperatorSetup(options.accounts);
  let port = 0;
  let monitorPort = 0;
  let child: ChildProcess | undefined;
  let log = "";
  const output = (): string => log;

  async function spawnAt(listenPort: number): Promise<void> {
    monitorPort = await freePort();
    const conf = join(dir, "nats.conf");
    writeFileSync(conf, configText(listenPort, monitorPort, storeDir, operator));
    log = "";
    const proc = spawn(bin, ["-c", conf], { stdio: ["ignore", "pipe", "pipe"] });
    live.add(proc);
    proc.once("exit", () => live.delete(proc));
    const append = (chunk: Buffer): void => {
      log = (log + chunk.toString()).slice(-16_384);
    };
    proc.stdout?.on("data", append);
    proc.stderr?.on("data", append);
    child = proc;
    try {
      await waitHealthy(monitorPort, proc, output);
    } catch (error) {
      await terminate(proc, "SIGKILL");
      throw error;
    }
  }

  async function launch(): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      port = options.port ?? (await freePort());
      try {
        await spawnAt(port);
        return;
      } catch (error) {
        // Another process may take a free port between our check and the server's bind.
        const portTaken = /address already in use/i.test(log);
        if (!portTaken || attempt >= 4 || options.port !== undefined) throw error;
      }
    }
  }

  await launch();
  const handle: NatsServerHandle = {
    get url() {
      return `nats://127.0.0.1:${port}`;
    },
    get port() {
      return port;
    },
    dir,
    storeDir,
    operator,
    async userCreds(account, opts) {
      if (operator === undefined) throw new Error("userCreds needs operator mode (accounts)");
      return operator.userCreds(account, opts);
    },
    async writeCreds(account, path) {
      writeFileSync(path, await handle.userCreds(account), { mode: 0o600 });
    },
    output,
    async stop() {
      if (child !== undefined) await terminate(child, "SIGTERM");
      rmSync(dir, { recursive: true, force: true });
    },
    async kill() {
      if (child !== undefined) await terminate(child, "SIGKILL");
    },
    async restart() {
      if (child !== undefined) await terminate(child, "SIGTERM");
      // The old socket can linger for a moment; the port must stay the same for clients.
      for (let attempt = 0; ; attempt++) {
        try {
          await spawnAt(port);
          return;
        } catch (error) {
          if (attempt >= 20) throw error;
          await new Promise((resolve) => setTimeout(resolve, 250));
        }
      }
    },
  };
  return handle;
}

function terminate(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill(signal);
  });
}
