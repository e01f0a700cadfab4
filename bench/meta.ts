// Where and when the figures were taken, so a reader can judge them.
import { execFileSync } from "node:child_process";
import { cpus, loadavg, totalmem } from "node:os";
import { natsServerVersion } from "../src/testing/nats-server.js";
import { VERSION } from "../src/version.js";

export interface Meta {
  readonly date: string;
  readonly mode: "full" | "smoke";
  readonly streamhook: string;
  readonly commit: string;
  readonly node: string;
  readonly natsServer: string;
  readonly cpuModel: string;
  readonly cores: number;
  readonly memoryGiB: number;
  /** 1-minute load average before the run: other work on a shared machine. */
  readonly loadBefore: number;
  /** Wall-clock duration of the whole run. */
  durationSeconds: number;
}

function commit(): string {
  try {
    return execFileSync("git", ["describe", "--always", "--dirty"], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }).trim();
  } catch {
    return "unknown";
  }
}

export function collectMeta(mode: Meta["mode"]): Meta {
  return {
    date: new Date().toISOString(),
    mode,
    streamhook: VERSION,
    commit: commit(),
    node: process.version,
    natsServer: natsServerVersion().replace(/^nats-server:\s*/, ""),
    cpuModel: cpus()[0]?.model ?? "unknown",
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    loadBefore: loadavg()[0] ?? 0,
    durationSeconds: 0,
  };
}
