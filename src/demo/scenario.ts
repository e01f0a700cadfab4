// The demo's story, from an empty directory to the verdict: the server and accounts, the
// receiver and the daemon, the events, and the wait until each one has met its fate.
import { randomBytes } from "node:crypto";
import pinoPretty from "pino-pretty";
import { loadConfig } from "../config/index.js";
import { startDaemon, type Daemon } from "../daemon.js";
import { createLogger } from "../observability/logger.js";
import { natsServerVersion } from "../testing/nats-binary.js";
import { startReceiver } from "../testing/receiver.js";
import { Budget, DemoStopped } from "./budget.js";
import type { Cleanup } from "../testing/cleanup.js";
import {
  ACCOUNTS_DIR,
  CONFIG_FILE,
  prepareTenant,
  startServer,
  writeConfig,
  type TenantClient,
} from "./environment.js";
import { TENANTS, demoEvents, type DemoEvent } from "./events.js";
import { judge, type Observations } from "./expectations.js";
import { DeliveryRecorder } from "./recorder.js";
import { deadLetterLine, deliveryLine, summaryLines } from "./report.js";

const RETRY_BACKOFF = "200ms";
/** Stopping the daemon and reading the last dead letters, even after the main budget ran out. */
const CLOSING_MS = 8_000;

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;

export interface Run {
  readonly dir: string;
  readonly keep: boolean;
  /** Set-up, publishing and waiting for the outcomes. */
  readonly budget: Budget;
  /** Interrupts every wait, the closing steps' included. */
  readonly signal: AbortSignal;
  readonly cleanup: Cleanup;
  readonly say: (line?: string) => void;
}

async function waitForAccounts(run: Run, daemon: Daemon): Promise<void> {
  const names = TENANTS.map((t) => t.account);
  await run.budget.until(`waiting for accounts ${names.join(", ")} to be running`, () => {
    const states = new Map(daemon.supervisor.accounts().map((a) => [a.name, a.state]));
    return Promise.resolve(names.every((name) => states.get(name) === "running"));
  });
}

async function publish(
  run: Run,
  clients: ReadonlyMap<string, TenantClient>,
  events: readonly DemoEvent[],
): Promise<void> {
  for (const event of events) {
    const client = clients.get(event.account);
    if (client === undefined) throw new Error(`no connection for account ${event.account}`);
    await run.budget.within(`publishing ${event.id}`, client.js.publish(event.subject, event.data));
  }
}

/** Reads the dead letters that are new, printing each. */
async function collectDeadLetters(run: Run, clients: Iterable<TenantClient>): Promise<void> {
  for (const client of clients) {
    for (const dl of await client.deadLetters.refresh()) run.say(deadLetterLine(dl));
  }
}

/**
 * Until every event has met its fate and the consumers hold nothing more: only then can no further
 * request arrive, so that "exactly as expected" also means "nothing extra".
 */
async function waitForOutcomes(
  run: Run,
  events: readonly DemoEvent[],
  clients: ReadonlyMap<string, TenantClient>,
  observations: () => Observations,
): Promise<void> {
  await run.budget.until("waiting for every event to be delivered or dead-lettered", async () => {
    await collectDeadLetters(run, clients.values());
    if (!judge(events, observations()).complete) return false;
    for (const client of clients.values()) if (!(await client.idle())) return false;
    return true;
  });
}

/** The demo up to its verdict; what it started is stopped by `run.cleanup`. */
export async function runScenario(run: Run, bin: string): Promise<number> {
  const { say, budget, cleanup, dir } = run;
  const events = demoEvents(TENANTS);
  say(`streamhook demo: ${natsServerVersion(bin)} (${bin})`);
  say(`  working directory ${dir} (${run.keep ? "kept" : "removed at the end; --keep keeps it"})`);

  const server = await startServer(dir, TENANTS, budget, cleanup, run.keep);
  say(`  nats-server in operator mode on ${server.url}`);
  const clients = new Map<string, TenantClient>();
  for (const tenant of TENANTS) {
    clients.set(tenant.account, await prepareTenant(server, tenant, dir, budget, cleanup));
    say(
      `  account ${tenant.account}: tenant_id ${tenant.tenantId}, stream and consumer provisioned, ${ACCOUNTS_DIR}/${tenant.account}/ written`,
    );
  }

  const secret = `whsec_${randomBytes(32).toString("base64")}`;
  const failFirst = new Set(events.filter((e) => e.kind === "flaky").map((e) => e.id));
  const recorder = new DeliveryRecorder(secret, failFirst, (d) => {
    say(deliveryLine(d));
  });
  const receiver = await budget.within(
    "starting the webhook receiver",
    startReceiver((request) => recorder.answer(request)),
  );
  cleanup.add("close the webhook receiver", () => receiver.close());
  say(`  webhook receiver on ${receiver.url}, checking Standard Webhooks signatures`);

  const configFile = await writeConfig(dir, {
    natsUrl: server.url,
    webhookUrl: receiver.url,
    secret,
    backoff: RETRY_BACKOFF,
  });
  const config = loadConfig({ file: configFile, env: {} });
  // Pretty, but in this thread: a transport's worker would outlive the demo's shutdown.
  const logger = createLogger(
    config.log,
    pinoPretty({
      destination: 2,
      sync: true,
      colorize: process.stderr.isTTY,
      singleLine: true,
      ignore: "pid,hostname,service",
      // Only real errors get a block of their own; the daemon's `error` fields are one-liners.
      errorLikeObjectKeys: ["err"],
    }),
  );
  // An empty environment: the caller's STREAMHOOK_* settings have no say in the demo.
  const daemon = startDaemon({ config, logger });
  cleanup.add("stop the daemon", () => daemon.stop());
  await waitForAccounts(run, daemon);
  say(
    `  daemon running (${CONFIG_FILE}), accounts ${TENANTS.map((t) => t.account).join(" and ")} running`,
  );

  const perKind = (kind: DemoEvent["kind"]): number => events.filter((e) => e.kind === kind).length;
  say("");
  say(
    `Publishing ${events.length} events: ${perKind("normal")} normal, ${perKind("spoofed")} with a spoofed tenant_id, ` +
      `${perKind("malformed")} malformed, ${perKind("flaky")} refused on their first attempt`,
  );
  await publish(run, clients, events);

  const observations = (): Observations => ({
    deliveries: recorder.deliveries,
    deadLetters: [...clients.values()].flatMap((c) => c.deadLetters.deadLetters),
  });
  let timedOut: string | undefined;
  try {
    await waitForOutcomes(run, events, clients, observations);
  } catch (error) {
    // On a timeout the summary still says which events are missing; an interruption ends it all.
    if (!(error instanceof DemoStopped) || error.exitCode !== EXIT_FAILED) throw error;
    timedOut = error.message;
  }
  const closing = new Budget(CLOSING_MS, run.signal);
  await closing.within("stopping the daemon", daemon.stop());
  await closing.within("reading the dead letters", collectDeadLetters(run, clients.values()));

  const verdict = judge(events, observations());
  for (const line of summaryLines(TENANTS, events, observations(), verdict)) say(line);
  if (timedOut !== undefined) {
    say(
      `✗ ${timedOut}; still waiting for: ${verdict.pending.join(", ") || "the consumers to be idle"}`,
    );
    return EXIT_FAILED;
  }
  return verdict.problems.length === 0 ? EXIT_OK : EXIT_FAILED;
}
