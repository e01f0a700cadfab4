import type { Logger } from "pino";
import type { AccountConfig } from "../config/types.js";
import { createAccountRunner, type AccountRunner } from "./account-runner.js";
import type { AccountStatus } from "./state.js";
import type { FairQueue } from "../pipeline/fair-queue.js";
import type { InboundMessage } from "../pipeline/inbound-message.js";

export interface SupervisorOptions {
  readonly queue: FairQueue<InboundMessage>;
  readonly logger: Logger;
  readonly pullBatch: number;
  readonly userAgent: string;
  readonly idle: (account: string) => Promise<void>;
}

export interface Supervisor {
  /** Starts one runner per account; each runs until `signal` aborts. */
  start(accounts: readonly AccountConfig[], signal: AbortSignal): void;
  statuses(): AccountStatus[];
  /** Resolves when every runner has stopped. */
  stopped(): Promise<void>;
}

/**
 * Owns the account runners. A runner that throws (it should not: runners turn every failure into
 * a `waiting` state) is logged and marked, and never touches the other accounts.
 */
export function createSupervisor(options: SupervisorOptions): Supervisor {
  const runners = new Map<string, { runner: AccountRunner; done: Promise<void> }>();
  const { logger } = options;

  return {
    start(accounts, signal) {
      for (const account of accounts) {
        const runner = createAccountRunner({ ...options, account });
        const done = runner.run(signal).catch((error: unknown) => {
          logger.error({ account: account.name, err: error }, "account runner crashed");
        });
        runners.set(account.name, { runner, done });
      }
    },
    statuses() {
      return [...runners.values()].map(({ runner }) => runner.status);
    },
    async stopped() {
      await Promise.all([...runners.values()].map(({ done }) => done));
    },
  };
}
