import type { JsMsg } from "@nats-io/jetstream";
import type { DeadLetterPublish } from "../delivery/dead-letter.js";
import type { DeliveryTarget } from "../delivery/target.js";

/**
 * A message pulled from an account's consumer, on its way to the webhook. It carries the target
 * and DLQ publisher of the account session that pulled it, so a message settles through the
 * connection it came from even if its account restarts with new settings meanwhile.
 */
export interface InboundMessage {
  readonly target: DeliveryTarget;
  readonly msg: JsMsg;
  readonly publishDeadLetter: DeadLetterPublish;
  /** The server of its connection takes `+TERM <reason>` (nats-server 2.10 and later). */
  readonly termWithReason: boolean;
  /** When the pull loop handed it over (ms since epoch). */
  readonly receivedAt: number;
  /** Called once the message is settled: it no longer needs progress signals. */
  readonly release: () => void;
}
