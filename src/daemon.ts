import type { AddressInfo } from "node:net";
import { setMaxListeners } from "node:events";
import type { Logger } from "pino";
import { scanAccountsDir, type ScanCache } from "./accounts/directory.js";
import { createPullTurns } from "./accounts/pull-turns.js";
import { createSupervisor, type Supervisor } from "./accounts/supervisor.js";
import { watchAccountsDir, type AccountsWatcher } from "./accounts/watcher.js";
import { accountDefaults } from "./config/account.js";
import type { Config } from "./config/types.js";
import { createNetworkPolicy } from "./delivery/network-policy.js";
import { createAckBatcher } from "./delivery/ack-batcher.js";
import { createDeliveryWorker } from "./delivery/worker.js";
import { createWebhookClient } from "./delivery/webhook-client.js";
import { createOperatorEvents } from "./events/operator-events.js";
import { accountsReport } from "./http/accounts-report.js";
import { startHttpServer, type HttpServer } from "./http/server.js";
import { createMetrics, type Metrics } from "./observability/metrics.js";
import type { Tracing } from "./observability/tracing.js";
import { FairQueue } from "./pipeline/fair-queue.js";
import type { InboundMessage } from "./pipeline/inbound-message.js";
import { USER_AGENT } from "./version.js";

export interface Daemon {
  readonly supervisor: Supervisor;
  readonly metrics: Metrics;
  /**
   * Graceful shutdown of SPEC section 5. Idempotent: later calls return the first call's promise.
   * Every step runs even when an earlier one fails; failures are reported together.
   */
  stop(): Promise<void>;
  /** Settles when the daemon has stopped, by `stop()` or by a fatal error. */
  readonly done: Promise<void>;
  /** The HTTP server's address once it listens; undefined when `http.listen` is off. */
  httpAddress(): Promise<AddressInfo | undefined>;
}

export interface DaemonOptions {
  readonly config: Config;
  readonly logger: Logger;
  /**
   * How often each running account asks for its consumer's backlog (`/accounts`, and
   * `streamhook_consumer_pending`). Default 60 s: a thousand accounts then cost ~17 small
   * requests a second, and a backlog gauge a minute old is as useful for alerting as a fresh one.
   */
  readonly backlogIntervalMs?: number;
  /** Set when tracing is on (see observability/tracing.ts); its spans are flushed at shutdown. */
  readonly tracing?: Tracing | undefined;
}

export class ShutdownError extends AggregateError {
  override readonly name = "ShutdownError";
}

/**
 * Messages the delivery worker takes from one account in a row. Deliveries started together
 * finish together, so their acks share one write on the account's connection, and between turns
 * the account's consumer on the server sits idle instead of being touched in every round: with a
 * hundred busy accounts, strict round-robin cost one write per ack and about a fifth of the
 * throughput. While the account whose turn it is has `delivery.account_concurrency` requests in
 * flight (32 by default), the next accounts start their turns early. Long turns do not make a
 * quiet account wait: the queue serves an account that had nothing queued first.
 */
const DELIVERY_BURST = 256;

/**
 * Messages one account may hold in the queue, as a multiple of the requests in flight: enough to
 * refill every delivery slot at once, and then some. Holding more only ages them: with the whole
 * default capacity of 1024 to one account, its messages outlived two young-generation
 * collections, and copying and promoting them made each collection take 2.6 to 3.8 ms, against
 * 1.5 to 1.8 ms with a limit of 128.
 */
const QUEUED_PER_SLOT = 2;

/**
 * Messages pulled ahead by all accounts together, as a multiple of the queue's capacity: the
 * default 8192 gives up to 32 accounts their full `pull_batch` of 256, and 100 accounts 81 each.
 * A small window means many small pull requests: with 40 per account (and the client's own
 * refill after a quarter of the window), nats-server spent more CPU on them and the 100-account
 * drain ran about a tenth slower than with 81.
 */
const PULLED_PER_QUEUED = 8;

/**
 * Message bytes held in the queue for every byte pulled ahead. Pulled bytes only need to cover a
 * pull request's round trip; the queue is where messages wait for a slot. With big messages
 * behind slow receivers, the two budgets, the requests in flight and the process itself have to
 * fit in the 400 MiB of SPEC section 10.
 */
const QUEUED_BYTES_PER_PULLED_BYTE = 2;

/** A message's cost to its account's turn: one, plus one per this many bytes. */
const COST_UNIT_BYTES = 4096;

export function startDaemon(options: DaemonOptions): Daemon {
  const { config, logger } = options;
  // Intake stops pulling; abort cancels in-flight requests once the shutdown timeout has passed.
  const intake = new AbortController();
  // Every account runner listens to it: a thousand listeners are expected, not a leak.
  setMaxListeners(0, intake.signal);
  const abort = new AbortController();

  let stopping: Promise<void> | undefined;
  let resolveDone!: () => void;
  let rejectDone!: (error: unknown) => void;
  const done = new Promise<void>((resolve, reject) => {
    resolveDone = resolve;
    rejectDone = reject;
  });

  const queue = new FairQueue<InboundMessage>({
    capacity: config.delivery.queueCapacity,
    burst: DELIVERY_BURST,
    // Never below what one account pulls ahead: a burst its client fetched then moves into the
    // queue at once, where it gets progress signals; the client's own buffer gets none.
    keyLimit: Math.max(QUEUED_PER_SLOT * config.delivery.concurrency, config.delivery.pullBatch),
    capacityBytes: config.delivery.queueBytes,
    bytesOf: (item) => item.pulled.data.length,
    // Building and signing a request costs about as much per 4 KiB as it does per message: a
    // turn of 256 small messages, or of about one megabyte message.
    costOf: (item) => 1 + Math.floor(item.pulled.data.length / COST_UNIT_BYTES),
  });
  // The sources are read at scrape time, by when the supervisor and breaker below exist.
  const metrics = createMetrics({
    queueDepth: () => queue.size,
    accounts: () => supervisor.accounts(),
  });
  const events = createOperatorEvents({
    url: config.events.url,
    secret: config.events.secret ?? config.webhook.secret,
    // The webhook secret's rotation carries over to events that sign with it.
    previousSecret: config.events.secret === undefined ? config.webhook.previousSecret : undefined,
    timeoutMs: config.events.timeout,
    userAgent: USER_AGENT,
    logger,
    observer: metrics,
  });
  const client = createWebhookClient({
    networkPolicy: createNetworkPolicy(config.webhook.allowedNetworks),
  });
  const acks = createAckBatcher();
  const worker = createDeliveryWorker({
    queue,
    client,
    concurrency: config.delivery.concurrency,
    logger,
  });
  const supervisor = createSupervisor(
    {
      queue,
      logger,
      pullBatch: config.delivery.pullBatch,
      pullBudget: PULLED_PER_QUEUED * config.delivery.queueCapacity,
      pullBudgetBytes: Math.floor(config.delivery.queueBytes / QUEUED_BYTES_PER_PULLED_BYTE),
      // As many whole batches at once as fill the queue once: enough to keep every delivery slot
      // busy between turns, few enough that a backlog's messages are delivered soon after they
      // are pulled.
      pullTurns: createPullTurns({
        turns: Math.max(1, Math.ceil(config.delivery.queueCapacity / config.delivery.pullBatch)),
      }),
      userAgent: USER_AGENT,
      breaker: {
        failureThreshold: config.breaker.failureThreshold,
        cooldownMs: config.breaker.cooldown,
        maxCooldownMs: config.breaker.maxCooldown,
      },
      acks,
      observer: metrics,
      events: events.sink,
      tracer: options.tracing?.tracer,
      backlogIntervalMs: options.backlogIntervalMs ?? 60_000,
      forget: (account) => {
        metrics.forget(account);
      },
    },
    intake.signal,
  );

  const working = worker.run(intake.signal, abort.signal);
  working.catch((error: unknown) => {
    // The worker turns every delivery failure into a nak; reaching here is a bug worth dying for.
    logger.fatal({ err: error }, "delivery worker failed");
    rejectDone(error);
  });
  supervisor.start(config.accounts);
  const watcher = config.accountsDir === undefined ? undefined : watchDirectory(config.accountsDir);
  logger.info(
    {
      accounts: config.accounts.length,
      accounts_dir: config.accountsDir,
      concurrency: config.delivery.concurrency,
    },
    "streamhook started",
  );

  function watchDirectory(dir: string): AccountsWatcher {
    const defaults = accountDefaults(config);
    const cache: ScanCache = new Map();
    let missingReported = false;
    return watchAccountsDir({
      dir,
      rescanIntervalMs: config.accountsRescanInterval,
      logger,
      onChange: () => {
        const scan = scanAccountsDir(dir, defaults, cache);
        if (!scan.exists && !missingReported) {
          logger.warn({ dir }, "accounts directory does not exist (yet); waiting for it");
        }
        missingReported = !scan.exists;
        supervisor.reconcile(scan.accounts);
        return Promise.resolve();
      },
    });
  }

  const http: Promise<HttpServer | undefined> =
    config.http.listen === undefined
      ? Promise.resolve(undefined)
      : startHttpServer({
          ...config.http.listen,
          token: config.http.token,
          logger,
          accounts: () => supervisor.accounts(),
          stopping: () => stopping !== undefined,
          report: () =>
            accountsReport({
              accounts: () => supervisor.accounts(),
              figures: (account) => metrics.figures(account),
            }),
          metrics: () => metrics.scrape(),
        });
  http.catch((error: unknown) => {
    // Without its probes an orchestrator cannot manage the daemon: treat it as fatal.
    logger.fatal({ err: error, listen: config.http.listen }, "HTTP server failed to start");
    stopping ??= shutdown().then(
      () => {
        rejectDone(error);
      },
      () => {
        rejectDone(error);
      },
    );
  });

  async function shutdown(): Promise<void> {
    const failures: unknown[] = [];
    const step = async (name: string, fn: () => Promise<void> | void): Promise<void> => {
      try {
        await fn();
      } catch (error) {
        logger.error({ err: error, step: name }, "shutdown step failed");
        failures.push(error);
      }
    };
    logger.info({ timeout_ms: config.shutdownTimeout }, "shutting down");
    await step("stop watching accounts", () => watcher?.close());
    await step("stop intake", () => {
      intake.abort();
    });
    await step("release held messages", () => {
      for (const item of queue.close()) item.lane.handBack(item);
    });
    await step("finish in-flight deliveries", async () => {
      const timer = setTimeout(() => {
        logger.warn(
          { inflight: worker.inflight },
          "shutdown timeout: aborting in-flight deliveries",
        );
        abort.abort();
      }, config.shutdownTimeout);
      try {
        await working;
      } finally {
        clearTimeout(timer);
        // The last deliveries' acks leave before the connections start draining.
        acks.flush();
      }
    });
    await step("drain connections", () => supervisor.stopped());
    // After the accounts have stopped, so the last dead letters' counts go out too.
    await step("flush operator events", () => events.close(config.events.timeout));
    await step("close webhook client", () => client.close());
    // After the last delivery, so its span is among those flushed. A collector that is down
    // costs the spans, not the exit code: every message was settled by now (SPEC section 5).
    await step("flush traces", () =>
      options.tracing?.shutdown().catch((error: unknown) => {
        logger.warn({ err: error }, "the last spans were not exported");
      }),
    );
    await step("close HTTP server", async () => {
      const server = await http.catch(() => undefined);
      await server?.close();
    });
    if (failures.length > 0) throw new ShutdownError(failures, "shutdown finished with errors");
    logger.info("streamhook stopped");
  }

  return {
    supervisor,
    metrics,
    done,
    async httpAddress() {
      return (await http)?.address();
    },
    stop() {
      stopping ??= shutdown().then(resolveDone, (error: unknown) => {
        rejectDone(error);
        throw error;
      });
      return stopping;
    },
  };
}
