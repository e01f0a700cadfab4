// streamhook as users run it: the built CLI as its own process, configured by environment.
import { fileURLToPath } from "node:url";
import { setTimeout as delay } from "node:timers/promises";
import { nodeFlagsFrom, profileArgs, spawnChild } from "./child.js";
import { freePort } from "../src/testing/nats-server.js";
import { pipelineOf, type Pipeline, type PipelineOptions } from "./pipeline.js";
import { CONCURRENCY, PULL_BATCH, WEBHOOK_SECRET } from "./settings.js";

const CLI = fileURLToPath(new URL("../dist/cli.js", import.meta.url));

export interface DaemonOptions extends PipelineOptions {
  /** Write a V8 CPU profile into this directory. */
  readonly profileDir?: string;
  readonly readyTimeoutMs?: number;
  /** The CLI to run; this checkout's build by default. */
  readonly cli?: string;
  /** The name it is measured under: "baseline" when another build stands in for it. */
  readonly as?: Pipeline["name"];
  /** An OTLP/HTTP collector: tracing on, exporting there. Off when undefined. */
  readonly otlpEndpoint?: string;
  /** No webhook secret: requests go out unsigned. */
  readonly unsigned?: boolean;
}

interface Readiness {
  readonly ok: boolean;
  readonly accounts: number;
}

async function readiness(port: number): Promise<Readiness> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/readyz`);
    const body = (await response.json()) as { accounts?: unknown[] };
    return { ok: response.ok, accounts: body.accounts?.length ?? 0 };
  } catch {
    return { ok: false, accounts: 0 };
  }
}

/**
 * The environment of section 2 of the contract, and nothing inherited that could override it:
 * neither STREAMHOOK_* nor OTEL_* variables of the shell the bench runs in.
 */
function daemonEnv(options: DaemonOptions, port: number): NodeJS.ProcessEnv {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(
      ([key]) => !key.startsWith("STREAMHOOK_") && !key.startsWith("OTEL_"),
    ),
  );
  const tracing = options.otlpEndpoint !== undefined && {
    OTEL_EXPORTER_OTLP_ENDPOINT: options.otlpEndpoint,
    OTEL_SERVICE_NAME: "streamhook-bench",
  };
  return {
    ...inherited,
    STREAMHOOK_NATS_SERVERS: options.natsUrl,
    STREAMHOOK_ACCOUNTS_DIR: options.accountsDir,
    STREAMHOOK_WEBHOOK_URL: options.webhookUrl,
    ...(options.unsigned !== true && { STREAMHOOK_WEBHOOK_SECRET: WEBHOOK_SECRET }),
    // The receiver runs on loopback, which the network policy refuses by default.
    STREAMHOOK_WEBHOOK_ALLOWED_NETWORKS: "127.0.0.0/8",
    STREAMHOOK_WEBHOOK_MAX_CONNECTIONS: String(CONCURRENCY),
    STREAMHOOK_DELIVERY_CONCURRENCY: String(CONCURRENCY),
    STREAMHOOK_DELIVERY_ACCOUNT_CONCURRENCY: String(CONCURRENCY),
    STREAMHOOK_DELIVERY_PULL_BATCH: String(PULL_BATCH),
    STREAMHOOK_HTTP_LISTEN: `127.0.0.1:${port}`,
    STREAMHOOK_LOG_LEVEL: "warn",
    ...tracing,
  };
}

/** Starts `node dist/cli.js run` and waits until /readyz reports every account running. */
export async function startDaemon(options: DaemonOptions): Promise<Pipeline> {
  const port = await freePort();
  const name = options.as ?? "streamhook";
  const nodeArgs = profileArgs(options.profileDir, name);
  const started = performance.now();
  const child = spawnChild(
    name,
    process.execPath,
    // As the daemon ships (Dockerfile, npm start, the bin's shebang).
    [
      ...nodeArgs,
      "--single-threaded-gc",
      // Another build in the baseline's place takes the baseline's flags, so that one build can
      // also be measured against itself with different flags.
      ...nodeFlagsFrom(
        name === "baseline" ? "BENCH_BASELINE_NODE_FLAGS" : "BENCH_DAEMON_NODE_FLAGS",
      ),
      options.cli ?? CLI,
      "run",
    ],
    daemonEnv(options, port),
  );
  const deadline = started + (options.readyTimeoutMs ?? 60_000);
  for (;;) {
    const state = await readiness(port);
    if (state.ok && state.accounts >= options.accounts) break;
    if (!child.alive())
      throw new Error(`streamhook exited before it was ready:\n${child.output()}`);
    if (performance.now() > deadline) {
      await child.stop("SIGKILL");
      throw new Error(
        `streamhook not ready (${state.accounts} accounts listed):\n${child.output()}`,
      );
    }
    // Every poll lists all accounts: often enough to time start-up, rarely enough not to slow it.
    await delay(100);
  }
  return pipelineOf(name, child, started);
}
