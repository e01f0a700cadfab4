// The bench's side of the receiver process: starting it, reading its figures, waiting on counts.
import { setTimeout as delay } from "node:timers/promises";
import { spawnScript, type Child } from "./child.js";
import type { Distribution } from "./percentiles.js";

export interface ReceiverStats {
  readonly count: number;
  /** Wall-clock ms of the first and last arrival since the last reset. */
  readonly firstAt: number | undefined;
  readonly lastAt: number | undefined;
  /** Publish-to-arrival latency (ms) by the bodies' "g" field. */
  readonly groups: Record<string, Distribution>;
}

export interface ReceiverProcess {
  /** The webhook URL; `${url}slow` answers after the slow delay. */
  readonly url: string;
  readonly pid: number;
  stats(): Promise<ReceiverStats>;
  reset(): Promise<void>;
  /**
   * Polls until `count` arrivals, calling `tick` at every poll; false once the count has not moved
   * for `stallMs`: a slow run still completes, a stuck one does not hang the bench.
   */
  waitForCount(
    count: number,
    stallMs: number,
    tick?: (stats: ReceiverStats) => void,
  ): Promise<boolean>;
  stop(): Promise<void>;
}

const isReady = (v: unknown): v is { ready: true; port: number } =>
  typeof v === "object" && v !== null && "port" in v && typeof v.port === "number";

export async function startReceiverProcess(slowMs = 100): Promise<ReceiverProcess> {
  const child: Child = spawnScript("receiver", "./receiver.ts", {
    ...process.env,
    BENCH_RECEIVER_SLOW_MS: String(slowMs),
  });
  const { port } = await child.line(isReady, 30_000);
  const base = `http://127.0.0.1:${port}/`;

  async function stats(): Promise<ReceiverStats> {
    const response = await fetch(`${base}_stats`);
    return (await response.json()) as ReceiverStats;
  }

  return {
    url: base,
    pid: child.pid,
    stats,
    async reset() {
      await fetch(`${base}_reset`, { method: "POST" });
    },
    async waitForCount(count, stallMs, tick) {
      let last = -1;
      let movedAt = performance.now();
      for (;;) {
        const current = await stats();
        tick?.(current);
        if (current.count >= count) return true;
        if (current.count !== last) {
          last = current.count;
          movedAt = performance.now();
        } else if (performance.now() - movedAt > stallMs) {
          return false;
        }
        await delay(50);
      }
    },
    async stop() {
      await child.stop();
    },
  };
}
