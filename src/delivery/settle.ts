import type { JsMsg } from "@nats-io/jetstream";
import type { Logger } from "pino";
import { backoffDelay } from "./backoff.js";
import {
  deadLetterHeaders,
  type DeadLetterDecision,
  type DeadLetterPublish,
} from "./dead-letter.js";
import type { Decision } from "./decision.js";
import type { DeliveryTarget } from "./target.js";

export type Settlement = "acked" | "nacked" | "dead_lettered";

export interface SettleContext {
  readonly target: DeliveryTarget;
  readonly msg: JsMsg;
  readonly id: string;
  readonly publishDeadLetter: DeadLetterPublish;
  readonly logger: Logger;
  /** Sends the ack; see AckBatcher. */
  readonly ack: (msg: JsMsg) => void;
  /** The server takes `+TERM <reason>`; see src/nats/server-version.ts. */
  readonly termWithReason: boolean;
}

/**
 * Carries out a decision on the broker. Acks and naks are fire-and-forget: waiting for
 * the server's confirmation of every ack would cap throughput at a tenth, and a lost ack only
 * causes a redelivery, which receivers already deduplicate.
 */
export async function settle(context: SettleContext, decision: Decision): Promise<Settlement> {
  switch (decision.action) {
    case "ack":
      context.ack(context.msg);
      return "acked";
    case "nak":
      context.msg.nak(decision.delayMs);
      return "nacked";
    case "dead_letter":
      return deadLetter(context, decision);
  }
}

async function deadLetter(
  context: SettleContext,
  decision: DeadLetterDecision,
): Promise<Settlement> {
  const { target, msg, logger } = context;
  const details = {
    reason: decision.reason,
    status: decision.status,
    error: decision.error,
    sequence: msg.seq,
    subject: msg.subject,
    attempts: msg.info.deliveryCount,
    webhook_id: context.id,
  };
  if (target.dlqSubject === undefined) {
    logger.error(details, "message dead-lettered without a DLQ subject: terminated");
    terminate(context, decision);
    return "dead_lettered";
  }
  try {
    const headers = deadLetterHeaders(msg, decision, target);
    await context.publishDeadLetter(target.dlqSubject, msg.data, headers, context.id);
  } catch (error) {
    // Never terminate before the DLQ holds the message: retry the whole thing later instead.
    const delayMs = backoffDelay(msg.info.deliveryCount, target.policy.backoffMs);
    logger.warn(
      { ...details, dlq_subject: target.dlqSubject, err: error, delay_ms: delayMs },
      "DLQ publish failed: message nak'd for a later attempt",
    );
    msg.nak(delayMs);
    return "nacked";
  }
  logger.warn({ ...details, dlq_subject: target.dlqSubject }, "message dead-lettered");
  terminate(context, decision);
  return "dead_lettered";
}

/** The reason text of a terminate, as advisories show it: `streamhook: <reason>[ <status>]`. */
export function termReason(decision: DeadLetterDecision): string {
  const status = decision.status === undefined ? "" : ` ${decision.status}`;
  return `streamhook: ${decision.reason}${status}`;
}

function terminate(context: SettleContext, decision: DeadLetterDecision): void {
  if (context.termWithReason) context.msg.term(termReason(decision));
  else context.msg.term();
}
