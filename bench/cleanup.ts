// Everything a bench run starts must go away with it: children, servers and temporary
// directories, whether the run finishes, fails or is interrupted.
import { rmSync } from "node:fs";

type Closer = () => Promise<void>;

const closers = new Set<Closer>();
const syncKills = new Set<() => void>();
const dirs = new Set<string>();

/** Registers an async cleanup step; the returned function unregisters it once done by hand. */
export function onCleanup(close: Closer): () => void {
  closers.add(close);
  return () => closers.delete(close);
}

/** A last-resort kill for process exit, where nothing asynchronous runs any more. */
export function onExitKill(kill: () => void): () => void {
  syncKills.add(kill);
  return () => syncKills.delete(kill);
}

export function trackDir(dir: string): void {
  dirs.add(dir);
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  dirs.delete(dir);
}

/** Runs every registered step, newest first; a failing step does not stop the others. */
export async function cleanupAll(): Promise<void> {
  for (const close of [...closers].reverse()) {
    closers.delete(close);
    await close().catch((error: unknown) => {
      console.error("cleanup step failed:", error);
    });
  }
  for (const dir of dirs) removeDir(dir);
}

let installed = false;

/** SIGINT/SIGTERM clean up and exit 130/143; a second signal exits at once. */
export function installSignalHandlers(): void {
  if (installed) return;
  installed = true;
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    signals++;
    const code = signal === "SIGINT" ? 130 : 143;
    if (signals > 1) process.exit(code);
    console.error(`\n${signal}: stopping every process the bench started...`);
    void cleanupAll().finally(() => process.exit(code));
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  process.on("exit", () => {
    for (const kill of syncKills) kill();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });
}
