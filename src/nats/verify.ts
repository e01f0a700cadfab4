import {
  jetstream,
  jetstreamManager,
  type ConsumerInfo,
  type JetStreamClient,
  type JetStreamManager,
  type StreamInfo,
} from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { MissingResourceError } from "./errors.js";

export interface VerifiedConsumer {
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly stream: StreamInfo;
  readonly consumer: ConsumerInfo;
}

/**
 * Checks that the operator provisioned what the account names: a stream and a durable pull
 * consumer on it. streamhook never creates either: their retention, limits and redelivery policy
 * are the operator's decisions.
 */
export async function verifyConsumer(
  nc: NatsConnection,
  names: { readonly stream: string; readonly consumer: string },
): Promise<VerifiedConsumer> {
  const jsm = await jetstreamManager(nc, { checkAPI: false });
  const stream = await jsm.streams.info(names.stream);
  const consumer = await jsm.consumers.info(names.stream, names.consumer);
  if (consumer.config.deliver_subject !== undefined && consumer.config.deliver_subject !== "") {
    throw new MissingResourceError(
      `consumer "${names.consumer}" is a push consumer; streamhook needs a pull consumer`,
    );
  }
  if (consumer.config.durable_name === undefined || consumer.config.durable_name === "") {
    throw new MissingResourceError(`consumer "${names.consumer}" is not durable`);
  }
  return { js: jetstream(nc), jsm, stream, consumer };
}
