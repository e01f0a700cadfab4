import { TimeoutError, type NatsConnection } from "@nats-io/transport-node";
import type { AccountConfig } from "../config/types.js";
import { connectAccountOnce } from "../nats/connect.js";
import { describeNatsError } from "../nats/describe-error.js";
import { verifyConsumer } from "../nats/verify.js";
import { consumerWarnings } from "./consumer-warnings.js";
import { checkCredsFile } from "./creds-file.js";
import { formatDuration } from "./duration-text.js";
import type { AccountCheck } from "./result.js";
import { webhookAddressWarnings } from "./webhook-address.js";

/** Long enough for a loaded server, short enough that an unreachable one does not stall `check`. */
export const CHECK_CONNECT_TIMEOUT_MS = 3_000;

/** Why a connect of a command (no reconnect) failed, for its report. */
export function connectFailure(error: unknown, account: AccountConfig, timeoutMs: number): string {
  // The client's own message for this is a bare "timeout", which says nothing about what waited.
  const reason =
    error instanceof TimeoutError
      ? `no answer from the server within ${formatDuration(timeoutMs)}`
      : describeNatsError(error, account);
  return `cannot connect: ${reason}`;
}

export interface CheckAccountOptions {
  readonly connectTimeoutMs?: number;
}

/** Connects one account, verifies its stream and consumer, and closes the connection again. */
export async function checkAccount(
  account: AccountConfig,
  options: CheckAccountOptions = {},
): Promise<AccountCheck> {
  const base = {
    name: account.name,
    source: account.source,
    tenantId: account.tenantId,
    stream: account.stream,
    consumer: account.consumer,
    paused: account.paused,
  };
  const unusable = (reason: string, warnings: readonly string[]): AccountCheck => ({
    ...base,
    usable: false,
    reason,
    pending: undefined,
    ackPending: undefined,
    warnings,
  });

  const warnings: string[] = await webhookAddressWarnings(account);
  if (account.credentialsFile !== undefined) {
    const creds = await checkCredsFile(account.credentialsFile);
    warnings.push(...creds.warnings);
    if (creds.error !== undefined) return unusable(creds.error, warnings);
  }

  const timeoutMs = options.connectTimeoutMs ?? CHECK_CONNECT_TIMEOUT_MS;
  let nc: NatsConnection;
  try {
    nc = await connectAccountOnce(account, {
      clientName: `streamhook-check:${account.name}`,
      timeoutMs,
    });
  } catch (error) {
    return unusable(connectFailure(error, account, timeoutMs), warnings);
  }
  try {
    const { consumer } = await verifyConsumer(nc, account);
    warnings.push(...consumerWarnings(consumer.config, account));
    return {
      ...base,
      usable: true,
      reason: undefined,
      pending: consumer.num_pending,
      ackPending: consumer.num_ack_pending,
      warnings,
    };
  } catch (error) {
    return unusable(describeNatsError(error, account), warnings);
  } finally {
    await nc.close().catch(() => {
      // The verdict is already made; a connection that fails to close cleanly changes nothing.
    });
  }
}
