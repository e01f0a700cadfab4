import type { JsMsg } from "@nats-io/jetstream";
import type { Logger } from "pino";
import type { PulledMessage } from "../nats/pulled-message.js";
import { backoffDelay } from "./backoff.js";
import {
  deadLetterHeaders,
  type DeadLetterDecision,
  type DeadLetterPublish,
} from "./dead-letter.js";
import type { Decision } from "./decision.js";
import type { DeliveryTarget } from "./target.js";
import type { EventSink } from "../events/operator-event.js";
import { webhookId } from "./webhook-id.js";

export type SettleResult = "acked" | "nacked" | "dead_lettered";

/** Counts what settlement did; every method must be cheap and never throw. */
export interface SettlementObserver {
  /** `publishedMs`: when the stream stored the message, for a delivery that was attempted. */
  settled(account: string, decision: Decision, result: SettleResult, publishedMs?: number): void;
}

export interface SettlementOptions {
  readonly target: DeliveryTarget;
  readonly publishDeadLetter: DeadLetterPublish;
  /** The server of this connection takes `+TERM <reason>` (see nats/server-version.ts). */
  readonly termWithReason: boolean;
  /** Sends an ack at the end of the event-loop turn; see AckBatcher. */
  readonly ack: (msg: JsMsg) => void;
  readonly logger: Logger;
  readonly observer?: SettlementObserver | undefined;
  /** Operator events: every dead letter is counted into its account's window. */
  readonly events?: EventSink | undefined;
}

/**
 * The only code that acks, naks or terminates a message of one account session: every outcome
 * of a delivery, and every message given back unattempted, goes through here, so each is decided
 * once, counted once and logged in one place. It is bound to the session's connection, which a
 * message must be settled on.
 */
export interface Settlement {
  /**
   * Carries out a delivery's decision on `msg`, whose delivery facts `pulled` holds; `id` is its
   * webhook-id, for logs and the DLQ.
   * At once, unless a dead letter must first be published: a promise only then, as nearly every
   * delivery is an ack and a promise per message is a measurable cost.
   */
  settle(
    msg: JsMsg,
    pulled: PulledMessage,
    id: string,
    decision: Decision,
  ): SettleResult | Promise<SettleResult>;
  /**
   * Gives a message that was never attempted back to the broker: a stop, a removal, a lost
   * connection. A short delay lets it reach another session or replica rather than come straight
   * back to a pull that is closing. Never throws: a dead connection means JetStream redelivers
   * after `ack_wait`.
   */
  handBack(msg: JsMsg, delayMs?: number): void;
}

/**
 * Acks and naks are fire-and-forget: waiting for the server's confirmation of every ack would cap
 * throughput at a tenth, and a lost ack only causes a redelivery, which receivers deduplicate.
 */
export function createSettlement(options: SettlementOptions): Settlement {
  const { target, logger, observer } = options;
  const account = target.account;

  function nak(msg: JsMsg, delayMs: number | undefined): void {
    try {
      msg.nak(delayMs);
    } catch {
      // The connection is gone: JetStream redelivers after ack_wait.
    }
  }

  function terminate(msg: JsMsg, decision: DeadLetterDecision): void {
    try {
      if (options.termWithReason) msg.term(termReason(decision));
      else msg.term();
    } catch {
      // The connection is gone: the message comes back after ack_wait and is decided again.
    }
  }

  async function deadLetter(
    msg: JsMsg,
    pulled: PulledMessage,
    id: string,
    decision: DeadLetterDecision,
  ): Promise<SettleResult> {
    const details = {
      reason: decision.reason,
      status: decision.status,
      error: decision.error,
      sequence: pulled.seq,
      subject: pulled.subject,
      attempts: pulled.deliveryCount,
      webhook_id: id,
    };
    if (target.dlqSubject === undefined) {
      logger.error(details, "message dead-lettered without a DLQ subject: terminated");
      terminate(msg, decision);
      return "dead_lettered";
    }
    try {
      const headers = deadLetterHeaders(pulled, decision, target);
      // Keyed by this stored message, not by its webhook-id: a replay shares its original's id,
      // and when it is dead-lettered again within the duplicate window the DLQ stream would take
      // it for the first copy, already deleted by the replay, and drop it.
      const msgId = webhookId(target.idPrefix, pulled.seq);
      await options.publishDeadLetter(target.dlqSubject, pulled.data, headers, msgId);
    } catch (error) {
      // Never terminate before the DLQ holds the message: retry the whole thing later instead.
      const delayMs = backoffDelay(pulled.deliveryCount, target.policy.backoffMs);
      logger.warn(
        { ...details, dlq_subject: target.dlqSubject, err: error, delay_ms: delayMs },
        "DLQ publish failed: message nak'd for a later attempt",
      );
      nak(msg, delayMs);
      return "nacked";
    }
    logger.warn({ ...details, dlq_subject: target.dlqSubject }, "message dead-lettered");
    terminate(msg, decision);
    return "dead_lettered";
  }

  function carryOut(
    msg: JsMsg,
    pulled: PulledMessage,
    id: string,
    decision: Decision,
  ): SettleResult | Promise<SettleResult> {
    switch (decision.action) {
      case "ack":
        options.ack(msg);
        return "acked";
      case "nak":
        nak(msg, decision.delayMs);
        return "nacked";
      case "disable":
        logger.warn(
          { sequence: pulled.seq, status: decision.status, webhook_id: id },
          "receiver answered 410 Gone: message kept, endpoint disabled",
        );
        nak(msg, decision.delayMs);
        return "nacked";
      case "dead_letter":
        return deadLetter(msg, pulled, id, decision);
    }
  }

  function settled(decision: Decision, result: SettleResult, publishedMs: number): SettleResult {
    observer?.settled(account, decision, result, publishedMs);
    if (result === "dead_lettered" && decision.action === "dead_letter") {
      options.events?.deadLettered(target, decision.reason);
    }
    return result;
  }

  return {
    settle(msg, pulled, id, decision) {
      const result = carryOut(msg, pulled, id, decision);
      if (typeof result === "string") return settled(decision, result, pulled.publishedMs);
      return result.then((after) => settled(decision, after, pulled.publishedMs));
    },
    handBack(msg, delayMs) {
      nak(msg, delayMs);
      observer?.settled(account, { action: "nak", delayMs: delayMs ?? 0 }, "nacked");
    },
  };
}

/** The reason text of a terminate, as advisories show it: `streamhook: <reason>[ <status>]`. */
export function termReason(decision: DeadLetterDecision): string {
  const status = decision.status === undefined ? "" : ` ${decision.status}`;
  return `streamhook: ${decision.reason}${status}`;
}
