// Shared by the receiver, bad-input and soak fault tests: publishers that do not depend on the
// daemon's credentials, account directories written the way an operator would, a TCP forwarder
// that lets a refused port start accepting, and readings of the daemon process.
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { createServer, connect as netConnect, type Server, type Socket } from "node:net";
import { join } from "node:path";
import { stringify } from "yaml";
import type { NatsServerHandle, ProvisionOptions } from "../../src/testing/nats-server.js";
import { provision } from "../../src/testing/nats-server.js";
import type { RecordedRequest } from "../../src/testing/receiver.js";
import { Cleanup } from "../../src/testing/cleanup.js";
import type { CliRun } from "../helpers/cli-process.js";
import { connectAsNewUser, type AccountClient } from "../helpers/fixtures.js";

export const EVENTS: ProvisionOptions = {
  stream: "EVENTS",
  subjects: ["events.>"],
  consumer: "webhook",
};

/** Connects as a fresh user of `account`, so publishing never shares the daemon's creds file. */
export const connectAs = (server: NatsServerHandle, account: string): Promise<AccountClient> =>
  connectAsNewUser(server, account, `publisher-${account}`);

/** Connects as `account` and provisions EVENTS/webhook (or `resources`) in it. */
export async function provisionedPublisher(
  server: NatsServerHandle,
  account: string,
  resources: ProvisionOptions = EVENTS,
): Promise<AccountClient> {
  const publisher = await connectAs(server, account);
  await provision(publisher.nc, resources);
  return publisher;
}

export interface AccountFiles {
  /** meta.yaml content: an object (serialised as YAML) or raw text. */
  readonly meta?: Record<string, unknown> | string;
  /** user.creds content; absent: no creds file. */
  readonly creds?: string;
  /** Default 0o600. */
  readonly credsMode?: number;
}

/** Writes an account directory as an operator would: creds first, meta.yaml last. */
export function writeAccountDir(root: string, name: string, files: AccountFiles): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  if (files.creds !== undefined) {
    const path = join(dir, "user.creds");
    writeFileSync(path, files.creds, { mode: files.credsMode ?? 0o600 });
    // writeFileSync's mode is filtered by the umask and ignored for an existing file.
    chmodSync(path, files.credsMode ?? 0o600);
  }
  if (files.meta !== undefined) {
    const text = typeof files.meta === "string" ? files.meta : stringify(files.meta);
    writeFileSync(join(dir, "meta.yaml"), text);
  }
  return dir;
}

export interface Forwarder {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Listens on `port` and relays every connection to 127.0.0.1:`targetPort`. Started on a port
 * that refused connections until then, it is the receiver (or server) coming up there.
 */
export async function forwardPort(port: number, targetPort: number): Promise<Forwarder> {
  const sockets = new Set<Socket>();
  const track = (socket: Socket): void => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  };
  const server: Server = createServer((inbound) => {
    const outbound = netConnect(targetPort, "127.0.0.1");
    track(inbound);
    track(outbound);
    // Either side failing ends both, as a real peer's reset would.
    inbound.on("error", () => outbound.destroy());
    outbound.on("error", () => inbound.destroy());
    inbound.on("close", () => outbound.destroy());
    outbound.on("close", () => inbound.destroy());
    inbound.pipe(outbound).pipe(inbound);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
        for (const socket of sockets) socket.destroy();
      }),
  };
}

/** True while the child has neither exited nor been killed by a signal. */
export const alive = (run: CliRun): boolean =>
  run.child.exitCode === null && run.child.signalCode === null;

/** The JSON lines of a log, skipping anything that is not one (a stack trace on stderr, say). */
export function logLines(text: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const line of text.split("\n")) {
    if (!line.startsWith("{")) continue;
    try {
      out.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      // A line cut in the middle of a write: the next read has it whole.
    }
  }
  return out;
}

/** The attempt number the daemon sent with a request. */
export const attemptOf = (r: RecordedRequest): number =>
  Number(r.headers["streamhook-attempt"] ?? "0");

export const mean = (values: readonly number[]): number =>
  values.length === 0 ? Number.NaN : values.reduce((a, b) => a + b, 0) / values.length;

export const mib = (bytes: number): string => (bytes / 1024 / 1024).toFixed(1);

/** The child's exit code once it exits, or the string "timeout" after `ms`. */
export async function exitWithin(run: CliRun, ms: number): Promise<number | null | "timeout"> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => {
      resolve("timeout");
    }, ms);
  });
  try {
    return await Promise.race([run.exit, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Runs every cleanup step in the order given, even when one throws (a `before` that failed
 * half-way leaves some things unset), then throws with every failure: the shared `Cleanup`,
 * for hooks that list their steps in order rather than adding them as they start things.
 */
export async function cleanup(...steps: (() => unknown)[]): Promise<void> {
  const all = new Cleanup();
  // Cleanup runs the last step added first: add them back to front.
  for (let i = steps.length - 1; i >= 0; i--) {
    const step = steps[i];
    if (step !== undefined) all.add(`cleanup step ${i + 1}`, step);
  }
  await all.runOrThrow();
}
