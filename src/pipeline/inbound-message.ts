import type { JsMsg } from "@nats-io/jetstream";
import type { Lane } from "../delivery/lane.js";
import type { PulledMessage } from "../nats/pulled-message.js";

/**
 * A message pulled from an account's consumer, on its way to the webhook. It carries the lane of
 * the account session that pulled it, so a message is delivered with that session's settings and
 * settled through the connection it came from, even if its account restarts meanwhile.
 */
export interface InboundMessage {
  readonly lane: Lane;
  /** The client's message: what acks, naks and progress signals go through. */
  readonly msg: JsMsg;
  /** What delivering it reads, read once. */
  readonly pulled: PulledMessage;
  /** When the pull loop handed it over (ms since epoch). */
  readonly receivedAt: number;
  /** Where the lane holds it for progress signals until it is settled or handed back. */
  readonly heldSlot: number;
}
