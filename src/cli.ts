#!/usr/bin/env -S node --single-threaded-gc
import { parseArgs } from "node:util";
import { runCheck } from "./check/index.js";
import { ConfigError, loadConfig } from "./config/index.js";
import { startDaemon } from "./daemon.js";
import { runDemo } from "./demo/index.js";
import { parseSelection, runDlqList, runDlqReplay, SelectionError } from "./dlq/index.js";
import { runSecret } from "./secret/index.js";
import { createLogger } from "./observability/logger.js";
import { startTracing } from "./observability/tracing.js";
import { VERSION } from "./version.js";

const HELP = `streamhook ${VERSION}: deliver NATS JetStream messages as signed webhooks

Usage:
  streamhook run [--config FILE]   run the daemon
  streamhook check [--config FILE] [--json]
                                   connect every account, verify its stream and consumer,
                                   print a table (or JSON) of accounts and warnings
  streamhook secret --account NAME [--config FILE] [--json]
                                   print the secret that signs that account's events, for
                                   the operator to hand to its receiver
  streamhook dlq list [--config FILE] [--account NAME] [--reason R] [--json]
                                   every dead letter of the accounts (or of one), read from
                                   the stream that captures each account's DLQ subject,
                                   without consuming anything
  streamhook dlq replay [--config FILE] [--account NAME] [--reason R] [--since DURATION]
                        [--dry-run] [--json]
                                   publish the selected dead letters back to their original
                                   subjects (same webhook-id when delivered again), then
                                   delete them from the DLQ; --dry-run only lists them
  streamhook demo [--keep]         a self-contained local run: nats-server, two tenants, a
                                   receiver and the daemon; exits 0 when every event came out
                                   as expected (needs nats-server on PATH or NATS_SERVER_BIN)
  streamhook --help                this text
  streamhook --version             the version

Options:
  -c, --config FILE   YAML configuration (default: $STREAMHOOK_CONFIG)
  --log-level LEVEL   overrides log.level
  --log-format FMT    overrides log.format (json or pretty)
  --json              check, secret, dlq: print JSON (and nothing else on stdout)
  --account NAME      secret: the account; dlq: only this account
  --reason R          dlq: only dead letters of this reason (terminal_status, max_attempts,
                      malformed_payload, host_not_allowed, invalid_request, too_large)
  --since DURATION    dlq replay: only dead letters newer than this, e.g. 30m, 1h
  --dry-run           dlq replay: list what would be replayed, change nothing
  --keep              demo: keep its temporary directory (accounts, configuration, store)

Configuration comes from built-in defaults, the YAML file, STREAMHOOK_* environment
variables and these flags, the later winning. See the README for every key.
Tracing is configured by the standard OTEL_* variables alone: it is on when
OTEL_EXPORTER_OTLP_ENDPOINT is set or OTEL_TRACES_EXPORTER=otlp (README, Tracing).

Exit codes: run: 0 after a graceful shutdown, 1 on an unexpected fatal error, 2 on an invalid
configuration. check: 0 when every account is usable, 1 when one is not, 2 on an invalid
configuration. secret: 0 when the account signs, 1 when it is unknown, invalid or signs
nothing, 2 on an invalid configuration. dlq list: 0 when every account was read, 1 when one
could not be. dlq replay: 0 when every selected dead letter was replayed, 1 when some could not
be (or a signal stopped it), 2 on an invalid configuration or selection. demo: 0 when every demo
event came out as expected, 1 otherwise.
`;

export const EXIT_OK = 0;
export const EXIT_FATAL = 1;
export const EXIT_CONFIG = 2;

interface ParsedArgs {
  readonly command: string | undefined;
  readonly config: string | undefined;
  readonly flags: Record<string, unknown>;
  readonly help: boolean;
  readonly version: boolean;
  readonly json: boolean;
  readonly keep: boolean;
  readonly account: string | undefined;
  readonly subcommand: string | undefined;
  readonly reason: string | undefined;
  readonly since: string | undefined;
  readonly dryRun: boolean;
}

function parse(argv: string[]): ParsedArgs {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      config: { type: "string", short: "c" },
      "log-level": { type: "string" },
      "log-format": { type: "string" },
      help: { type: "boolean", short: "h" },
      version: { type: "boolean", short: "v" },
      json: { type: "boolean" },
      keep: { type: "boolean" },
      account: { type: "string" },
      reason: { type: "string" },
      since: { type: "string" },
      "dry-run": { type: "boolean" },
    },
  });
  const flags: Record<string, unknown> = {};
  if (values["log-level"] !== undefined) flags["log.level"] = values["log-level"];
  if (values["log-format"] !== undefined) flags["log.format"] = values["log-format"];
  return {
    command: positionals[0],
    config: values.config,
    flags,
    help: values.help === true,
    version: values.version === true,
    json: values.json === true,
    keep: values.keep === true,
    account: values.account,
    subcommand: positionals[1],
    reason: values.reason,
    since: values.since,
    dryRun: values["dry-run"] === true,
  };
}

async function run(args: ParsedArgs): Promise<number> {
  const config = loadConfig({ file: args.config, env: process.env, flags: args.flags });
  const logger = createLogger(config.log);
  const tracing = await startTracing({ env: process.env, logger });
  const daemon = startDaemon({ config, logger, tracing });

  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    signals++;
    if (signals > 1) {
      // Second signal: the operator wants out now. JetStream redelivers whatever was not acked.
      logger.warn({ signal }, "second signal: exiting at once");
      logger.flush();
      process.exit(signal === "SIGINT" ? 130 : 143);
    }
    logger.info({ signal }, "signal received: shutting down gracefully");
    daemon.stop().catch(() => {
      // Reported through `done` below.
    });
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);

  try {
    await daemon.done;
    return EXIT_OK;
  } catch (error) {
    logger.fatal({ err: error }, "streamhook stopped with an error");
    return EXIT_FATAL;
  } finally {
    logger.flush();
  }
}

/**
 * A signal stops `dlq replay` from selecting more; what is in flight finishes and is reported. A
 * second signal exits at once: what was published and not yet deleted is replayed again later.
 */
function abortOnSignals(): { readonly signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    if (controller.signal.aborted) process.exit(signal === "SIGINT" ? 130 : 143);
    process.stderr.write(`${signal}: finishing the replays in flight\n`);
    controller.abort();
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  return {
    signal: controller.signal,
    dispose() {
      process.off("SIGTERM", onSignal);
      process.off("SIGINT", onSignal);
    },
  };
}

async function dlq(args: ParsedArgs): Promise<number> {
  const sub = args.subcommand;
  if (sub !== "list" && sub !== "replay") {
    process.stderr.write(`dlq needs list or replay\n\n${HELP}`);
    return EXIT_CONFIG;
  }
  if (sub === "list" && (args.since !== undefined || args.dryRun)) {
    process.stderr.write(`--since and --dry-run are options of dlq replay\n\n${HELP}`);
    return EXIT_CONFIG;
  }
  let selection;
  try {
    selection = parseSelection(args);
  } catch (error) {
    if (!(error instanceof SelectionError)) throw error;
    process.stderr.write(`${error.message}\n`);
    return EXIT_CONFIG;
  }
  const config = loadConfig({ file: args.config, env: process.env, flags: args.flags });
  const io = { json: args.json, out: process.stdout, err: process.stderr };
  if (sub === "list") return runDlqList(config, { ...io, selection });
  const signals = abortOnSignals();
  try {
    return await runDlqReplay(config, {
      ...io,
      selection,
      dryRun: args.dryRun,
      signal: signals.signal,
    });
  } finally {
    signals.dispose();
  }
}

export async function main(argv: string[]): Promise<number> {
  let args: ParsedArgs;
  try {
    args = parse(argv);
  } catch (error: unknown) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n\n${HELP}`);
    return EXIT_CONFIG;
  }
  if (args.version) {
    process.stdout.write(`${VERSION}\n`);
    return EXIT_OK;
  }
  if (args.help || args.command === undefined) {
    process.stdout.write(HELP);
    return args.help ? EXIT_OK : EXIT_CONFIG;
  }
  try {
    switch (args.command) {
      case "run":
        return await run(args);
      case "check": {
        const config = loadConfig({ file: args.config, env: process.env, flags: args.flags });
        return await runCheck(config, { json: args.json, out: process.stdout });
      }
      case "secret": {
        if (args.account === undefined) {
          process.stderr.write(`secret needs --account NAME\n\n${HELP}`);
          return EXIT_CONFIG;
        }
        const config = loadConfig({ file: args.config, env: process.env, flags: args.flags });
        return runSecret(config, {
          account: args.account,
          json: args.json,
          out: process.stdout,
          err: process.stderr,
        });
      }
      case "dlq":
        return await dlq(args);
      case "demo":
        return await runDemo({ keep: args.keep, out: process.stdout, err: process.stderr });
      default:
        process.stderr.write(`unknown command "${args.command}"\n\n${HELP}`);
        return EXIT_CONFIG;
    }
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`invalid configuration:\n${error.message}\n`);
      return EXIT_CONFIG;
    }
    process.stderr.write(
      `fatal: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    return EXIT_FATAL;
  }
}

process.exitCode = await main(process.argv.slice(2));
// After a shutdown every handle should be closed; if a library keeps one open, do not hang forever.
setTimeout(() => process.exit(), 2_000).unref();
