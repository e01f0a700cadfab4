// Making sure a nats-server binary exists before the demo needs it. Installing is left to
// scripts/ensure-nats-server.sh, which the tests use too: it installs with apt-get only as root
// on Debian or Ubuntu, and otherwise explains how to get the binary.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { NatsServerNotFoundError, findNatsServer } from "../testing/nats-binary.js";

/** The same relative path from src/demo and from dist/demo. */
const ENSURE_SCRIPT = fileURLToPath(
  new URL("../../scripts/ensure-nats-server.sh", import.meta.url),
);

export type NatsServerLookup =
  { readonly ok: true; readonly bin: string } | { readonly ok: false; readonly message: string };

/**
 * The nats-server binary, installing it when it is missing and the install script can. The
 * script's own output (apt-get's included) goes straight to the terminal, as it would from a shell.
 */
export function ensureNatsServer(env: NodeJS.ProcessEnv = process.env): NatsServerLookup {
  let missing: NatsServerNotFoundError;
  try {
    return { ok: true, bin: findNatsServer(env) };
  } catch (error) {
    if (!(error instanceof NatsServerNotFoundError)) throw error;
    missing = error;
  }
  // Installed from the registry, only dist/ is there: nothing to install with, only advice.
  if (!existsSync(ENSURE_SCRIPT)) return { ok: false, message: missing.message };
  const run = spawnSync("/bin/sh", [ENSURE_SCRIPT], {
    env,
    stdio: ["ignore", "inherit", "inherit"],
  });
  if (run.error !== undefined || run.status !== 0) {
    // The script has printed how to get nats-server; say what that means for the demo.
    return { ok: false, message: "the demo needs nats-server (see above)." };
  }
  try {
    return { ok: true, bin: findNatsServer(env) };
  } catch (error) {
    if (!(error instanceof NatsServerNotFoundError)) throw error;
    return { ok: false, message: error.message };
  }
}
