import pLimit from "p-limit";
import type { Logger } from "pino";
import type { AccountConfig } from "../config/types.js";
import type { AckBatcher } from "../delivery/ack-batcher.js";
import type { AttemptTracer } from "../delivery/attempt-tracer.js";
import type { BreakerOptions, BreakerState } from "../delivery/breaker.js";
import type { FairQueue } from "../pipeline/fair-queue.js";
import type { InboundMessage } from "../pipeline/inbound-message.js";
import { createAccountRunner, type AccountObserver, type AccountRunner } from "./account-runner.js";
import type { DirectoryAccount } from "./directory.js";
import { pullAhead, pullAheadBytes } from "./pull-ahead.js";
import type { PullTurns } from "./pull-turns.js";
import type { AccountStatus } from "./state.js";
import type { EventSink } from "../events/operator-event.js";

export interface SupervisorOptions {
  readonly queue: FairQueue<InboundMessage>;
  readonly logger: Logger;
  /** The most messages one account pulls ahead (`delivery.pull_batch`). */
  readonly pullBatch: number;
  /** Messages pulled ahead by all accounts together, shared out as in pull-ahead.ts. */
  readonly pullBudget: number;
  /** Message bytes pulled ahead by all accounts together, likewise. */
  readonly pullBudgetBytes: number;
  /** Turns at pulling a whole batch, shared by every account (see pull-turns.ts). */
  readonly pullTurns: PullTurns;
  readonly userAgent: string;
  /** Every account's breaker settings; each account has breakers of its own. */
  readonly breaker: Omit<BreakerOptions, "onReady">;
  readonly acks: AckBatcher;
  readonly observer?: AccountObserver | undefined;
  /** Operator events; the supervisor reports accounts whose configuration is invalid. */
  readonly events?: EventSink | undefined;
  /** Set only while tracing is on. */
  readonly tracer?: AttemptTracer | undefined;
  readonly backlogIntervalMs: number;
  /** Called once a removed account has stopped, to drop what was kept about it. */
  readonly forget?: ((account: string) => void) | undefined;
}

const NO_BREAKERS: ReadonlyMap<string, BreakerState> = new Map();

/** Accounts connecting and verifying at the same time; see AccountRunnerOptions.connectSlots. */
const CONNECTS_AT_ONCE = 32;

/** An account as the supervisor reports it: its runner's status, plus a rejected configuration. */
export interface SupervisedAccount extends AccountStatus {
  readonly source: AccountConfig["source"];
  readonly config: AccountConfig | undefined;
  /** A newer configuration that could not be used; the account keeps its last valid one. */
  readonly configError: string | undefined;
  /** Requests in flight now. */
  readonly inflight: number;
  /** The account's breaker, per webhook origin. */
  readonly breakers: ReadonlyMap<string, BreakerState>;
}

export interface Supervisor {
  /** Starts the static and environment accounts; they run until `signal` aborts. */
  start(accounts: readonly AccountConfig[]): void;
  /**
   * Brings the directory accounts in line with a scan: starts, restarts and stops runners. Returns
   * at once; a change that waits for in-flight deliveries never holds up the next scan.
   */
  reconcile(scan: readonly DirectoryAccount[]): void;
  accounts(): SupervisedAccount[];
  /** Resolves when every runner has stopped, after the root signal aborted. */
  stopped(): Promise<void>;
}

interface Entry {
  readonly source: AccountConfig["source"];
  runner: AccountRunner | undefined;
  controller: AbortController | undefined;
  done: Promise<void>;
  config: AccountConfig | undefined;
  fingerprint: string | undefined;
  configError: string | undefined;
  /** Changes to one account run one after another; other accounts are not held up. */
  transition: Promise<void>;
}

/**
 * Owns the account runners. Each runner has its own abort controller under the root signal, so
 * one account can be stopped or restarted without touching the others; a runner that throws is
 * logged and never affects another account.
 */
export function createSupervisor(options: SupervisorOptions, signal: AbortSignal): Supervisor {
  const connectSlots = pLimit(CONNECTS_AT_ONCE);
  const entries = new Map<string, Entry>();
  /** Accounts being stopped after their directory went away, by name. */
  const removing = new Map<string, Entry>();
  const { logger } = options;

  function launch(entry: Entry, account: AccountConfig): void {
    const controller = new AbortController();
    const stop = (): void => {
      controller.abort();
    };
    signal.addEventListener("abort", stop, { once: true });
    // A change that finished waiting for the old runner after shutdown began: an abort that
    // already happened fires no event, and the new runner would run on with its connection.
    if (signal.aborted) stop();
    const runner = createAccountRunner({
      ...options,
      account,
      connectSlots,
      // Read when the session starts pulling, by when a directory scan has added every account.
      pullAhead: () => pullAhead(options.pullBatch, options.pullBudget, entries.size),
      pullAheadBytes: () => pullAheadBytes(options.pullBudgetBytes, entries.size),
    });
    entry.runner = runner;
    entry.controller = controller;
    entry.config = account;
    entry.done = runner
      .run(controller.signal)
      .catch((error: unknown) => {
        logger.error({ account: account.name, err: error }, "account runner crashed");
      })
      .finally(() => {
        signal.removeEventListener("abort", stop);
      });
  }

  async function halt(entry: Entry): Promise<void> {
    entry.controller?.abort();
    await entry.done;
    entry.runner = undefined;
    entry.controller = undefined;
  }

  function newEntry(source: AccountConfig["source"], after?: Promise<void>): Entry {
    return {
      source,
      runner: undefined,
      controller: undefined,
      done: Promise.resolve(),
      config: undefined,
      fingerprint: undefined,
      configError: undefined,
      // An account removed and added again starts only once its old runner has let go.
      transition: after ?? Promise.resolve(),
    };
  }

  function change(name: string, entry: Entry, step: () => Promise<void>): void {
    entry.transition = entry.transition.then(step).catch((error: unknown) => {
      logger.error({ account: name, err: error }, "account change failed");
    });
  }

  const all = (): Entry[] => [...entries.values(), ...removing.values()];

  function apply(found: DirectoryAccount): void {
    const existing = entries.get(found.name);
    if (existing !== undefined && existing.source !== "directory") {
      logger.error(
        { account: found.name },
        "a directory account has the name of a static account: refused, the static account is kept",
      );
      return;
    }
    const entry = existing ?? newEntry("directory", removing.get(found.name)?.transition);
    if (existing === undefined) entries.set(found.name, entry);
    if (!found.ok) {
      if (entry.configError !== found.error) {
        logger.error(
          { account: found.name, path: found.path, reason: found.error },
          "account configuration invalid",
        );
        options.events?.emit(
          "account.invalid",
          { account: found.name, tenantId: entry.config?.tenantId },
          // An account that was running goes on with its last valid configuration.
          { reason: found.error, keeps_last_valid: entry.config !== undefined },
        );
      }
      entry.configError = found.error;
      return;
    }
    entry.configError = undefined;
    if (entry.fingerprint === found.fingerprint) return;
    const restart = entry.fingerprint !== undefined;
    entry.fingerprint = found.fingerprint;
    change(found.name, entry, async () => {
      if (signal.aborted) return;
      if (restart)
        logger.info({ account: found.name }, "account changed: restarting with the new settings");
      else logger.info({ account: found.name }, "account added");
      await halt(entry);
      launch(entry, found.account);
    });
  }

  function remove(name: string, entry: Entry): void {
    logger.info({ account: name }, "account removed: stopping");
    entries.delete(name);
    removing.set(name, entry);
    change(name, entry, async () => {
      await halt(entry);
      // A later removal of the same name chains after this one, so it alone needs keeping.
      if (removing.get(name) === entry) removing.delete(name);
      if (!entries.has(name) && !removing.has(name)) options.forget?.(name);
    });
  }

  return {
    start(accounts) {
      for (const account of accounts) {
        const entry = newEntry(account.source);
        entries.set(account.name, entry);
        launch(entry, account);
      }
    },
    reconcile(scan) {
      const wanted = new Set(scan.map((found) => found.name));
      for (const found of scan) apply(found);
      for (const [name, entry] of [...entries]) {
        if (entry.source === "directory" && !wanted.has(name)) remove(name, entry);
      }
    },
    accounts() {
      return [...entries.entries()].map(([name, entry]) => {
        const status: AccountStatus = entry.runner?.status ?? {
          name,
          state: "invalid",
          reason: entry.configError,
          since: Date.now(),
        };
        return {
          ...status,
          source: entry.source,
          config: entry.config,
          configError: entry.configError,
          inflight: entry.runner?.inflight ?? 0,
          breakers: entry.runner?.breakers() ?? NO_BREAKERS,
        };
      });
    },
    async stopped() {
      await Promise.all(all().map((entry) => entry.transition.then(() => entry.done)));
    },
  };
}
