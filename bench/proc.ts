// Per-process CPU and memory from /proc, so each process of a run is measured on its own.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { rssBytes } from "../src/testing/resident-memory.js";

function clockTicks(): number {
  try {
    const ticks = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());
    return Number.isFinite(ticks) && ticks > 0 ? ticks : 100;
  } catch {
    return 100;
  }
}

const TICKS_PER_SECOND = clockTicks();

/** utime + stime of `pid`, in seconds. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // The command name (field 2) may hold spaces; every field after its closing paren is numeric.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the name.
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

/** Resident memory of `pid` (VmRSS), in MiB. */
export function rssMiB(pid: number): number {
  return rssBytes(pid) / (1024 * 1024);
}

export interface CpuWindow {
  /** Percent of one core each process used since `start`, by name. */
  stop(): Record<string, number>;
}

/** Starts measuring the CPU of each named process over a wall-clock window. */
export function cpuWindow(pids: Readonly<Record<string, number>>): CpuWindow {
  const started = performance.now();
  const before = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuSeconds(pid)]));
  return {
    stop() {
      const wall = (performance.now() - started) / 1000;
      return Object.fromEntries(
        Object.entries(pids).map(([k, pid]) => [
          k,
          wall > 0 ? (100 * (cpuSeconds(pid) - (before[k] ?? 0))) / wall : 0,
        ]),
      );
    },
  };
}
