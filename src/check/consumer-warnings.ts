import type { ConsumerConfig } from "@nats-io/jetstream";
import type { AccountConfig } from "../config/types.js";
import { formatDuration } from "./duration-text.js";

const NANOS_PER_MS = 1_000_000;

type RedeliveryConfig = Pick<ConsumerConfig, "max_deliver" | "ack_wait">;

/**
 * Consumer settings that let the account run but work against streamhook's delivery policy:
 * - a `max_deliver` not above `max_attempts` makes the server stop redelivering a message before
 *   streamhook dead-letters it, and no longer leaves room to hold messages while a breaker is open;
 * - an `ack_wait` shorter than `webhook.timeout` means a single slow request outlives it, so every
 *   such delivery depends on progress signals arriving in time to avoid a duplicate.
 */
export function consumerWarnings(
  consumer: RedeliveryConfig,
  account: Pick<AccountConfig, "delivery" | "webhook">,
): string[] {
  const warnings: string[] = [];
  const maxDeliver = consumer.max_deliver;
  // -1, 0 and an absent value all mean "unlimited" to the server.
  if (maxDeliver !== undefined && maxDeliver > 0 && maxDeliver <= account.delivery.maxAttempts) {
    warnings.push(
      `consumer max_deliver (${maxDeliver}) is not above delivery.max_attempts (${account.delivery.maxAttempts}): the server may stop redelivering a message before streamhook dead-letters it`,
    );
  }
  const ackWait = consumer.ack_wait;
  if (ackWait !== undefined && ackWait > 0 && ackWait / NANOS_PER_MS < account.webhook.timeout) {
    const ackWaitMs = Math.round(ackWait / NANOS_PER_MS);
    warnings.push(
      `consumer ack_wait (${formatDuration(ackWaitMs)}) is shorter than webhook.timeout (${formatDuration(account.webhook.timeout)}): a slow request relies on progress signals to avoid a redelivery`,
    );
  }
  return warnings;
}
