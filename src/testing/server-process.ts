// The nats-server child process: spawning it with its output kept, and making sure it and its
// temporary directory go away with us, however this process ends.
import { spawn, type ChildProcess } from "node:child_process";
import { rmSync } from "node:fs";
import { Socket } from "node:net";

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

/** Removes `dir` when this process exits, unless `releaseTempDir` came first. */
export function trackTempDir(dir: string): void {
  liveDirs.add(dir);
  installExitHook();
}

export function releaseTempDir(dir: string): void {
  liveDirs.delete(dir);
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

/** The last 64 KiB of the server's stdout and stderr. */
export class OutputBuffer {
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

export const portInUse = (output: OutputBuffer): boolean =>
  /address already in use/i.test(output.toString());

/** A started nats-server, a local process or a container: what the harness needs of either. */
export interface Running {
  readonly pid: number | undefined;
  /** Resolves once it is gone, however it ended. */
  readonly exited: Promise<void>;
  hasExited(): boolean;
  /** How it ended, for start-up errors, e.g. "code 1, signal null". */
  exitDescription(): string;
  signal(signal: NodeJS.Signals): void;
}

/** Spawns `bin -c conf`, its output into `output`, watched so it cannot outlive us. */
export function launch(bin: string, dir: string, conf: string, output: OutputBuffer): Running {
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
  return {
    pid: child.pid,
    exited,
    hasExited: () => child.exitCode !== null || child.signalCode !== null,
    exitDescription: () => `code ${String(child.exitCode)}, signal ${String(child.signalCode)}`,
    signal: (signal) => child.kill(signal),
  };
}

/** Signals the process, escalating to SIGKILL after `graceMs`, and waits until it is gone. */
export async function terminate(
  running: Running,
  signal: NodeJS.Signals,
  graceMs = 5_000,
): Promise<void> {
  if (!running.hasExited()) {
    running.signal(signal);
    const timer = setTimeout(() => {
      running.signal("SIGKILL");
    }, graceMs);
    await running.exited;
    clearTimeout(timer);
  }
  await running.exited;
}
