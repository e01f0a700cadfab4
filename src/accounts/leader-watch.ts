// A pull request waits at the consumer's leader. When that leader dies without a word (SIGKILL,
// a frozen process, a partition) the request dies with it, and the client would notice only
// after two missed heartbeats, half a minute each. The cluster announces the consumer's new
// leader in the account itself: a pull renewed on that announcement finds the leader at once.
import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import type { Logger } from "pino";

/** A stream or consumer name usable as one subject token; servers refuse the others anyway. */
const TOKEN = /^[^\s.*>]+$/;

export interface LeaderWatch {
  stop(): void;
}

/**
 * Calls `elected` whenever the consumer gets a new leader. Without permission to subscribe to
 * the advisory, it logs once and the heartbeats remain the only detection.
 */
export function watchConsumerLeader(
  nc: NatsConnection,
  stream: string,
  consumer: string,
  elected: () => void,
  logger: Logger,
): LeaderWatch {
  if (!TOKEN.test(stream) || !TOKEN.test(consumer)) return { stop: () => undefined };
  let warned = false;
  const subscription: Subscription = nc.subscribe(
    `$JS.EVENT.ADVISORY.CONSUMER.LEADER_ELECTED.${stream}.${consumer}`,
    {
      callback: (error) => {
        if (error === null) {
          logger.debug("the consumer has a new leader; pulling from it");
          elected();
        } else if (!warned) {
          warned = true;
          logger.info(
            { err: error },
            "cannot watch the consumer's leader elections; a lost leader is noticed by heartbeats only",
          );
        }
      },
    },
  );
  return {
    stop() {
      subscription.unsubscribe();
    },
  };
}
