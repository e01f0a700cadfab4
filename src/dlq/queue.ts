import {
  jetstream,
  jetstreamManager,
  type JetStreamClient,
  type JetStreamManager,
} from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { CHECK_CONNECT_TIMEOUT_MS, connectFailure } from "../check/check-account.js";
import { collectTargets } from "../check/targets.js";
import type { AccountConfig, Config } from "../config/types.js";
import { renderDlqSubject } from "../delivery/target.js";
import { connectAccountOnce } from "../nats/connect.js";
import { describeNatsError } from "../nats/describe-error.js";
import type { Out } from "./output.js";

/** An account whose dead letters cannot be read; the message says why, never with a secret. */
export class DeadLetterQueueError extends Error {
  override readonly name = "DeadLetterQueueError";
}

export interface SelectedAccounts {
  /** Usable configurations, in the order `check` lists them. */
  readonly accounts: readonly AccountConfig[];
  /** Accounts that were asked for (or all of them) but cannot be used: name and reason. */
  readonly problems: readonly { readonly account: string; readonly error: string }[];
}

/** Every account the daemon would run, or the one named; invalid ones as problems. */
export function selectAccounts(config: Config, name: string | undefined): SelectedAccounts {
  const accounts: AccountConfig[] = [];
  const problems: { account: string; error: string }[] = [];
  for (const target of collectTargets(config).targets) {
    if (target.kind === "account") {
      if (name === undefined || target.account.name === name) accounts.push(target.account);
    } else if (name === undefined || target.check.name === name) {
      problems.push({ account: target.check.name, error: target.check.reason ?? "invalid" });
    }
  }
  if (name !== undefined && accounts.length === 0 && problems.length === 0) {
    problems.push({ account: name, error: `no account named "${name}"` });
  }
  return { accounts, problems };
}

/** One account's connection, and the stream that holds its DLQ subject. */
export interface DeadLetterQueue {
  readonly account: AccountConfig;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly stream: string;
  readonly subject: string;
  close(): Promise<void>;
}

/**
 * Connects to an account and finds the stream that captures its DLQ subject. Undefined when the
 * account has no DLQ subject: it has no dead letters to read.
 */
export async function openDeadLetterQueue(
  account: AccountConfig,
  clientName: string,
): Promise<DeadLetterQueue | undefined> {
  if (account.dlqSubject === undefined) return undefined;
  const subject = renderDlqSubject(account.dlqSubject, account);
  let nc: NatsConnection;
  try {
    nc = await connectAccountOnce(account, {
      clientName: `${clientName}:${account.name}`,
      timeoutMs: CHECK_CONNECT_TIMEOUT_MS,
    });
  } catch (error) {
    throw new DeadLetterQueueError(connectFailure(error, account, CHECK_CONNECT_TIMEOUT_MS), {
      cause: error,
    });
  }
  const close = async (): Promise<void> => {
    await nc.close().catch(() => {
      // Nothing was left to send: every publish and delete was awaited.
    });
  };
  try {
    const jsm = await jetstreamManager(nc);
    let stream: string;
    try {
      stream = await jsm.streams.find(subject);
    } catch (error) {
      throw new DeadLetterQueueError(`no stream captures its DLQ subject ${subject}`, {
        cause: error,
      });
    }
    return { account, js: jetstream(nc), jsm, stream, subject, close };
  } catch (error) {
    await close();
    if (error instanceof DeadLetterQueueError) throw error;
    throw new DeadLetterQueueError(describeNatsError(error, account), { cause: error });
  }
}

/**
 * Opens the DLQ of each selected account in turn, one connection at a time, and hands it to
 * `visit`. Every account that cannot be read (invalid, unreachable, no stream for its DLQ
 * subject, a read that failed) is reported on `err`. Resolves with how many could not be read.
 */
export async function forEachQueue(
  selected: SelectedAccounts,
  err: Out,
  visit: (queue: DeadLetterQueue) => Promise<void>,
): Promise<number> {
  const { accounts, problems } = selected;
  for (const p of problems) err.write(`${p.account}: ${p.error}\n`);
  let unreadable = problems.length;
  for (const account of accounts) {
    let queue: DeadLetterQueue | undefined;
    try {
      queue = await openDeadLetterQueue(account, "streamhook-dlq");
    } catch (error) {
      err.write(`${account.name}: ${describe(error)}\n`);
      unreadable++;
      continue;
    }
    if (queue === undefined) {
      err.write(`${account.name}: no DLQ subject configured (dlq.subject or dlq_subject)\n`);
      continue;
    }
    try {
      await visit(queue);
    } catch (error) {
      err.write(`${account.name}: reading ${queue.stream} failed: ${describe(error)}\n`);
      unreadable++;
    } finally {
      await queue.close();
    }
  }
  return unreadable;
}

const describe = (error: unknown): string =>
  error instanceof Error ? error.message : String(error);
