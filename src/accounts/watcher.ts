import { existsSync } from "node:fs";
import { watch, type FSWatcher } from "chokidar";
import type { Logger } from "pino";

export interface AccountsWatcherOptions {
  readonly dir: string;
  /** A full rescan at least this often, for what file events miss (network filesystems). */
  readonly rescanIntervalMs: number;
  /** Events within this window are folded into one rescan; half-written files settle meanwhile. */
  readonly debounceMs?: number;
  readonly logger: Logger;
  /** Called (never concurrently) whenever the directory may have changed, and once at start. */
  readonly onChange: () => Promise<void>;
}

export interface AccountsWatcher {
  close(): Promise<void>;
}

/**
 * Watches an accounts directory with chokidar and a periodic rescan. Every event only triggers a
 * rescan: the scan decides what changed, so a missed, duplicated or reordered event cannot leave
 * the daemon wrong for longer than the rescan interval. Dot-entries are watched too, because
 * Kubernetes updates a secret volume by swapping its `..data` link.
 */
export function watchAccountsDir(options: AccountsWatcherOptions): AccountsWatcher {
  const { dir, logger, onChange } = options;
  const debounceMs = options.debounceMs ?? 200;
  let watcher: FSWatcher | undefined;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  let again = false;
  let busy = false;
  let closed = false;

  function runScan(): void {
    if (closed) return;
    if (busy) {
      again = true;
      return;
    }
    busy = true;
    running = onChange()
      .catch((error: unknown) => {
        logger.error({ err: error, dir }, "accounts rescan failed");
      })
      .finally(() => {
        busy = false;
        if (again) {
          again = false;
          runScan();
        }
      });
  }

  function schedule(): void {
    if (closed) return;
    clearTimeout(timer);
    timer = setTimeout(runScan, debounceMs);
  }

  function startWatcher(): void {
    if (watcher !== undefined || !existsSync(dir)) return;
    watcher = watch(dir, { ignoreInitial: true, depth: 2, followSymlinks: true });
    watcher.on("all", schedule);
    watcher.on("error", (error: unknown) => {
      logger.warn(
        { err: error, dir },
        "accounts directory watcher error; the periodic rescan continues",
      );
    });
  }

  // Once a second, check that the directory still exists, so that one that appears, disappears
  // or comes back is noticed promptly; the watcher and the periodic rescan do the rest.
  const poll = setInterval(() => {
    const exists = existsSync(dir);
    if (watcher === undefined && exists) {
      startWatcher();
      schedule();
    } else if (watcher !== undefined && !exists) {
      // A watcher on a deleted directory sees nothing once it is made again: start over.
      const old = watcher;
      watcher = undefined;
      old.close().catch(() => undefined);
      schedule();
    }
  }, 1_000);
  const rescan = setInterval(runScan, options.rescanIntervalMs);
  poll.unref();
  rescan.unref();
  startWatcher();
  runScan();

  return {
    async close() {
      closed = true;
      clearTimeout(timer);
      clearInterval(poll);
      clearInterval(rescan);
      await watcher?.close();
      await running;
    },
  };
}
