// Provisioning, as an operator does before streamhook runs: a stream and a durable pull consumer.
import {
  AckPolicy,
  DeliverPolicy,
  StorageType,
  jetstreamManager,
  type ConsumerInfo,
  type StreamInfo,
} from "@nats-io/jetstream";
import { connect, credsAuthenticator, nanos, type NatsConnection } from "@nats-io/transport-node";

export interface ProvisionOptions {
  readonly stream: string;
  readonly subjects: readonly string[];
  /** Durable pull consumer, explicit acks. */
  readonly consumer: string;
  /** Default 30 s. */
  readonly ackWaitMs?: number;
  /** Default -1 (unlimited). */
  readonly maxDeliver?: number;
  /** Default 10000. */
  readonly maxAckPending?: number;
  readonly filterSubject?: string;
  /** Default "file". */
  readonly storage?: "file" | "memory";
  /** The stream's replicas in a cluster (the consumer follows the stream); default 1. */
  readonly replicas?: number;
}

export type ProvisionTarget =
  NatsConnection | { readonly url: string; readonly creds?: string | Uint8Array };

export interface Provisioned {
  readonly stream: StreamInfo;
  readonly consumer: ConsumerInfo;
}

async function connectTo(target: ProvisionTarget): Promise<{ nc: NatsConnection; own: boolean }> {
  if (!("url" in target)) return { nc: target, own: false };
  const creds =
    typeof target.creds === "string" ? new TextEncoder().encode(target.creds) : target.creds;
  const nc = await connect({
    servers: target.url,
    ...(creds !== undefined && { authenticator: credsAuthenticator(creds) }),
  });
  return { nc, own: true };
}

/** Creates (or confirms, when identical) a stream and a durable pull consumer with explicit acks. */
export async function provision(
  target: ProvisionTarget,
  options: ProvisionOptions,
): Promise<Provisioned> {
  const { nc, own } = await connectTo(target);
  try {
    const jsm = await jetstreamManager(nc);
    const stream = await jsm.streams.add({
      name: options.stream,
      subjects: [...options.subjects],
      storage: options.storage === "memory" ? StorageType.Memory : StorageType.File,
      num_replicas: options.replicas ?? 1,
    });
    const consumer = await jsm.consumers.add(options.stream, {
      durable_name: options.consumer,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ack_wait: nanos(options.ackWaitMs ?? 30_000),
      max_deliver: options.maxDeliver ?? -1,
      max_ack_pending: options.maxAckPending ?? 10_000,
      ...(options.filterSubject !== undefined && { filter_subject: options.filterSubject }),
    });
    return { stream, consumer };
  } finally {
    if (own) await nc.close();
  }
}
