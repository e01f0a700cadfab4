// `streamhook demo`: a self-contained local run (SPEC section 9). It sets up a nats-server with two
// tenant accounts, a signature-checking receiver and the daemon, publishes events meant to show
// what the daemon guarantees, and exits 0 only when each one came out exactly as it should.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_CREDENTIALS } from "../config/index.js";
import { Budget, DemoStopped } from "./budget.js";
import { Cleanup } from "../testing/cleanup.js";
import { ACCOUNTS_DIR, CONFIG_FILE, STORE_DIR } from "./environment.js";
import { ensureNatsServer } from "./install.js";
import { EXIT_FAILED, EXIT_OK, runScenario, type Run } from "./scenario.js";

export interface DemoOptions {
  /** Keep the temporary directory (accounts, configuration, nats store) and say where it is. */
  readonly keep: boolean;
  /** Progress, deliveries and the summary. */
  readonly out: NodeJS.WritableStream;
  /** Why the demo could not run or stopped early. Default: `out`. */
  readonly err?: NodeJS.WritableStream;
}

/** Set-up, publishing and delivery; a normal run takes a few seconds of it. */
const BUDGET_MS = 20_000;

export async function runDemo(options: DemoOptions): Promise<number> {
  const { out, keep } = options;
  const err = options.err ?? out;
  const say = (line = ""): void => {
    out.write(`${line}\n`);
  };
  const lookup = ensureNatsServer();
  if (!lookup.ok) {
    err.write(`demo: ${lookup.message}\n`);
    return EXIT_FAILED;
  }

  const interrupt = new AbortController();
  const onSignal = (): void => {
    // A second signal means "now": the servers' watchdogs still take nats-server down with us.
    if (interrupt.signal.aborted) process.exit(130);
    interrupt.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  const dir = mkdtempSync(join(tmpdir(), "streamhook-demo-"));
  const cleanup = new Cleanup();
  const budget = new Budget(BUDGET_MS, interrupt.signal);
  const run: Run = { dir, keep, budget, signal: interrupt.signal, cleanup, say };
  let code: number;
  try {
    code = await runScenario(run, lookup.bin);
  } catch (error) {
    if (error instanceof DemoStopped) {
      err.write(`demo: ${error.message}\n`);
      code = error.exitCode;
    } else {
      err.write(
        `demo failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
      code = EXIT_FAILED;
    }
  }
  const failures = await cleanup.run();
  process.off("SIGINT", onSignal);
  process.off("SIGTERM", onSignal);
  for (const failure of failures) err.write(`demo: shutting down: ${failure}\n`);
  if (failures.length > 0 && code === EXIT_OK) code = EXIT_FAILED;
  if (keep) {
    say("");
    say(`Kept ${dir}:`);
    say(`  ${ACCOUNTS_DIR}/   one directory per account (meta.yaml, ${DEFAULT_CREDENTIALS})`);
    say(`  ${CONFIG_FILE}   the daemon's configuration`);
    say(`  nats.conf, ${STORE_DIR}/   the server's configuration and JetStream store`);
  } else {
    rmSync(dir, { recursive: true, force: true });
  }
  return code;
}
