import { statSync } from "node:fs";
import { resolve } from "node:path";
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
  /** The identity of the directory the watcher watches. */
  let watched: string | undefined;
  /** The watcher saw the directory itself go (renamed away, deleted): it watches nothing now. */
  let lost = false;
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
    const id = identity(dir);
    if (watcher !== undefined || id === undefined) return;
    watched = id;
    watcher = watch(dir, { ignoreInitial: true, depth: 2, followSymlinks: true });
    watcher.on("all", (event, path) => {
      if (event === "unlinkDir" && resolve(path) === resolve(dir)) lost = true;
      schedule();
    });
    watcher.on("error", (error: unknown) => {
      logger.warn(
        { err: error, dir },
        "accounts directory watcher error; the periodic rescan continues",
      );
    });
  }

  // Once a second, check that the directory is still the one watched, so that one that appears,
  // disappears, or is replaced (even within the second) is noticed promptly: a watcher on a
  // deleted or renamed directory sees nothing of its replacement. The rescan does the rest.
  const poll = setInterval(() => {
    const id = identity(dir);
    // A directory renamed away and back keeps its identity, but its watcher stopped at "away".
    if (id === watched && !lost) return;
    lost = false;
    if (watcher !== undefined) {
      const old = watcher;
      watcher = undefined;
      watched = undefined;
      old.close().catch(() => undefined);
    }
    startWatcher();
    schedule();
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

/** Device and inode: a directory made again under the same name is a different one. */
function identity(dir: string): string | undefined {
  const stat = statSync(dir, { throwIfNoEntry: false });
  return stat?.isDirectory() === true ? `${String(stat.dev)}:${String(stat.ino)}` : undefined;
}
