import { AckPolicy, DeliverPolicy, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";

export interface ProvisionOptions {
  readonly stream: string;
  readonly subjects: readonly string[];
  readonly consumer: string;
  readonly ackWaitMs?: number;
  readonly maxDeliver?: number;
}

const nanos = (ms: number): number => ms * 1_000_000;

/** What an operator does before streamhook runs: a stream and a durable pull consumer with explicit acks. */
export async function provision(nc: NatsConnection, options: ProvisionOptions): Promise<void> {
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: options.stream, subjects: [...options.subjects] });
  await jsm.consumers.add(options.stream, {
    durable_name: options.consumer,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: nanos(options.ackWaitMs ?? 30_000),
    max_deliver: options.maxDeliver ?? -1,
    max_ack_pending: 10_000,
  });
}
