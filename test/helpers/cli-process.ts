import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));
const cli = join(root, "src", "cli.ts");

export interface CliRun {
  readonly child: ChildProcess;
  readonly stdout: () => string;
  readonly stderr: () => string;
  /** The exit code, or null when a signal ended the process. */
  readonly exit: Promise<number | null>;
  /** SIGKILL unless it already exited; resolves once it has. Safe to call in `after`. */
  kill(): Promise<void>;
}

/**
 * Runs the real command line, as an operator would, with only the given environment: nothing of
 * the test runner's environment leaks in except PATH and HOME.
 */
export function runCli(args: string[], env: Record<string, string> = {}): CliRun {
  const child = spawn(process.execPath, ["--import", "tsx", cli, ...args], {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "",
      // The tests' receivers run on loopback, which the network policy refuses by default.
      STREAMHOOK_WEBHOOK_ALLOWED_NETWORKS: "127.0.0.0/8",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout.on("data", (c: Buffer) => (out += c.toString()));
  child.stderr.on("data", (c: Buffer) => (err += c.toString()));
  let exited = false;
  const exit = new Promise<number | null>((resolve) =>
    child.once("exit", (code) => {
      exited = true;
      resolve(code);
    }),
  );
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exit,
    async kill() {
      if (!exited) child.kill("SIGKILL");
      await exit;
    },
  };
}
