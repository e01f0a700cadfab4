import type { JsMsg } from "@nats-io/jetstream";
import type { Lane } from "../delivery/lane.js";

/**
 * A message pulled from an account's consumer, on its way to the webhook. It carries the lane of
 * the account session that pulled it, so a message is delivered with that session's settings and
 * settled through the connection it came from, even if its account restarts meanwhile.
 */
export interface InboundMessage {
  readonly lane: Lane;
  readonly msg: JsMsg;
  /** When the pull loop handed it over (ms since epoch). */
  readonly receivedAt: number;
  /** Where the lane holds it for progress signals until it is settled or handed back. */
  readonly heldSlot: number;
}
