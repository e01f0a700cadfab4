// Finding the nats-server binary the tests and the demo run, with advice when it is missing.
import { spawnSync } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";

export class NatsServerNotFoundError extends Error {
  override readonly name = "NatsServerNotFoundError";
}

const FALLBACK_DIRS = ["/usr/sbin", "/usr/local/bin", "/usr/bin", "/usr/local/sbin"] as const;

const INSTALL_ADVICE =
  "Install it (Debian/Ubuntu, as root: `apt-get install -y nats-server`, or run " +
  "scripts/ensure-nats-server.sh; elsewhere see " +
  "https://docs.nats.io/running-a-nats-service/introduction/installation), " +
  "or set NATS_SERVER_BIN to its path.";

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The nats-server binary: `NATS_SERVER_BIN`, else `PATH`, else /usr/sbin, /usr/local/bin, ... */
export function findNatsServer(env: NodeJS.ProcessEnv = process.env): string {
  const configured = env.NATS_SERVER_BIN;
  if (configured !== undefined && configured !== "") {
    if (isExecutable(configured)) return configured;
    throw new NatsServerNotFoundError(
      `NATS_SERVER_BIN=${configured} is not an executable file. ${INSTALL_ADVICE}`,
    );
  }
  const pathDirs = (env.PATH ?? "").split(delimiter).filter((d) => d !== "");
  for (const dir of [...pathDirs, ...FALLBACK_DIRS]) {
    const candidate = join(dir, "nats-server");
    if (isExecutable(candidate)) return candidate;
  }
  throw new NatsServerNotFoundError(`nats-server was not found. ${INSTALL_ADVICE}`);
}

/** `nats-server --version`, e.g. "nats-server: v2.9.10". */
export function natsServerVersion(bin: string = findNatsServer()): string {
  return spawnSync(bin, ["--version"], { encoding: "utf8" }).stdout.trim();
}
