// Per-process CPU and memory, so each process of a run is measured on its own.
import pidusage from "pidusage";

/** CPU time (user + system) of each named process, in milliseconds. */
async function cpuMs(pids: Readonly<Record<string, number>>): Promise<Record<string, number>> {
  const entries = Object.entries(pids);
  const stats = await Promise.all(entries.map(([, pid]) => pidusage(pid)));
  return Object.fromEntries(entries.map(([name], i) => [name, stats[i]?.ctime ?? 0]));
}

/** Resident memory of `pid`, in MiB. */
export async function rssMiB(pid: number): Promise<number> {
  const { memory } = await pidusage(pid);
  return memory / (1024 * 1024);
}

export interface CpuWindow {
  /** Percent of one core each process used since the window started, by name. */
  stop(): Promise<Record<string, number>>;
}

/** Starts measuring the CPU of each named process over a wall-clock window. */
export function cpuWindow(pids: Readonly<Record<string, number>>): CpuWindow {
  const started = performance.now();
  const before = cpuMs(pids);
  // Read again in stop(); a process that is already gone fails there, not unhandled here.
  before.catch(() => undefined);
  return {
    async stop() {
      const [first, last] = await Promise.all([before, cpuMs(pids)]);
      const wallMs = performance.now() - started;
      return Object.fromEntries(
        Object.keys(pids).map((name) => [
          name,
          wallMs > 0 ? (100 * ((last[name] ?? 0) - (first[name] ?? 0))) / wallMs : 0,
        ]),
      );
    },
  };
}

/** Closes what the readings keep open per process (a file descriptor each, for a minute). */
export function forgetProcesses(): void {
  pidusage.clear();
}
