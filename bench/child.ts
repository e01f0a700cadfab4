// A child process of the bench: output kept for diagnostics, JSON lines on stdout parsed for the
// scripts that report through them, and a watchdog so it cannot outlive the bench.
import { spawn, type ChildProcess } from "node:child_process";
import { appendFileSync, mkdirSync } from "node:fs";
import { Socket } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { onCleanup, onExitKill } from "./cleanup.js";

const MAX_OUTPUT = 32 * 1024;

export interface Child {
  readonly name: string;
  readonly pid: number;
  readonly exited: Promise<number | null>;
  alive(): boolean;
  /** The tail of its stdout and stderr. */
  output(): string;
  /** The first JSON line on stdout that `match` accepts (also one printed earlier). */
  line<T>(match: (value: unknown) => value is T, timeoutMs: number): Promise<T>;
  /** Signals it, SIGKILL after `graceMs`, and waits until it is gone; returns its exit code. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<number | null>;
}

/** Kills `pid` once our end of its stdin closes, which happens however the bench dies. */
function watchdog(pid: number): ChildProcess {
  const dog = spawn("/bin/sh", ["-c", 'read -r _; kill -9 "$0" 2>/dev/null', String(pid)], {
    stdio: ["pipe", "ignore", "ignore"],
  });
  dog.on("error", () => undefined);
  dog.unref();
  if (dog.stdin instanceof Socket) dog.stdin.unref();
  return dog;
}

const alive = (child: ChildProcess): boolean =>
  child.exitCode === null && child.signalCode === null;

/**
 * With `BENCH_CHILD_LOG_DIR` set, every child's whole output is kept in `<dir>/<name>.log`, e.g.
 * what `--trace-gc` prints (see `nodeFlagsFrom`). Otherwise only a tail is kept, for errors.
 */
function childLogFile(name: string): string | undefined {
  const dir = process.env.BENCH_CHILD_LOG_DIR;
  if (dir === undefined || dir === "") return undefined;
  mkdirSync(dir, { recursive: true });
  return join(dir, `${name}.log`);
}

/** Node flags to try on one kind of child, from an environment variable, space-separated. */
export function nodeFlagsFrom(variable: string): string[] {
  return (process.env[variable] ?? "").split(" ").filter((flag) => flag !== "");
}

export function spawnChild(
  name: string,
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
): Child {
  const proc = spawn(command, args, { env, stdio: ["ignore", "pipe", "pipe"] });
  let tail = "";
  const logFile = childLogFile(name);
  const append = (text: string): void => {
    tail = (tail + text).slice(-MAX_OUTPUT);
    if (logFile !== undefined) appendFileSync(logFile, text);
  };
  const lines: unknown[] = [];
  const listeners = new Set<() => void>();
  let partial = "";
  proc.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    append(chunk);
    const parts = (partial + chunk).split("\n");
    partial = parts.pop() ?? "";
    for (const part of parts) {
      if (!part.startsWith("{")) continue;
      try {
        lines.push(JSON.parse(part) as unknown);
      } catch {
        continue;
      }
      for (const listener of listeners) listener();
    }
  });
  proc.stderr.setEncoding("utf8").on("data", append);
  const exited = new Promise<number | null>((resolve) => {
    proc.once("close", (code) => {
      resolve(code);
      for (const listener of listeners) listener();
    });
    proc.once("error", (error) => {
      append(`spawn failed: ${error.message}\n`);
      resolve(null);
    });
  });
  const dog = proc.pid === undefined ? undefined : watchdog(proc.pid);
  const unregisterKill = onExitKill(() => proc.kill("SIGKILL"));

  async function stop(
    signal: NodeJS.Signals = "SIGTERM",
    graceMs = 10_000,
  ): Promise<number | null> {
    if (alive(proc)) {
      proc.kill(signal);
      const timer = setTimeout(() => proc.kill("SIGKILL"), graceMs);
      await exited;
      clearTimeout(timer);
    }
    dog?.kill("SIGKILL");
    unregisterKill();
    unregisterCleanup();
    return exited;
  }
  const unregisterCleanup = onCleanup(async () => {
    await stop("SIGKILL");
  });

  return {
    name,
    pid: proc.pid ?? -1,
    exited,
    alive: () => alive(proc),
    output: () => tail,
    stop,
    line<T>(match: (value: unknown) => value is T, timeoutMs: number): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        const check = (): void => {
          const found = lines.find(match);
          if (found !== undefined) {
            done();
            resolve(found);
          } else if (!alive(proc)) {
            done();
            reject(new Error(`${name} exited before reporting:\n${tail}`));
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`${name} did not report within ${timeoutMs} ms:\n${tail}`));
        }, timeoutMs);
        const done = (): void => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        listeners.add(check);
        check();
      });
    },
  };
}

/** A bench script next to this file, run by Node with the TypeScript loader. */
export function spawnScript(
  name: string,
  script: string,
  env: NodeJS.ProcessEnv,
  nodeArgs: readonly string[] = [],
): Child {
  const path = fileURLToPath(new URL(script, import.meta.url));
  return spawnChild(name, process.execPath, [...nodeArgs, "--import", "tsx", path], env);
}

/**
 * Node flags that write CPU profiles into a subdirectory of `dir` named after `name`, one file
 * per thread (the TypeScript loader runs its own), when the process exits.
 */
export function profileArgs(dir: string | undefined, name: string): string[] {
  if (dir === undefined) return [];
  const own = join(dir, `${name}-${new Date().toISOString().replace(/[:.]/g, "-")}`);
  mkdirSync(own, { recursive: true });
  return ["--cpu-prof", "--cpu-prof-dir", own];
}
