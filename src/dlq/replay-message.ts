import { headers as natsHeaders, type MsgHdrs } from "@nats-io/transport-node";
import { formatReplayOf, REPLAY_OF_HEADER, replayedSequence } from "../delivery/replay-of.js";
import type { DeadLetter } from "./record.js";

/** What `dlq replay` publishes for one dead letter, or why it cannot. */
export type ReplayPlan =
  | {
      readonly ok: true;
      readonly subject: string;
      readonly headers: MsgHdrs;
      /** `Nats-Msg-Id`: a re-run within the stream's duplicate window is stored once. */
      readonly msgId: string;
    }
  | { readonly ok: false; readonly error: string };

/** Headers the daemon adds to the DLQ copy: they describe the dead-lettering, not the message. */
const DLQ_ONLY = new Set([
  "streamhook-subject",
  "streamhook-stream",
  "streamhook-sequence",
  "streamhook-tenant",
  REPLAY_OF_HEADER,
]);

function dropped(name: string): boolean {
  const lower = name.toLowerCase();
  // Nats-* control headers are never in a DLQ copy the daemon made; in a forged one they would
  // steer the publish (an expected stream or sequence, a message id).
  return lower.startsWith("streamhook-dlq-") || lower.startsWith("nats-") || DLQ_ONLY.has(lower);
}

/**
 * A subject one can publish to and that a stream can store: no wildcard token, no empty token,
 * no whitespace or control bytes. Whether the account's stream captures it is asked of the server.
 */
const MAX_SUBJECT = 4096;
function publishable(subject: string): boolean {
  return (
    subject.length <= MAX_SUBJECT &&
    // eslint-disable-next-line no-control-regex
    !/[\s\x00-\x1f\x7f]/.test(subject) &&
    subject.split(".").every((token) => token !== "" && token !== "*" && token !== ">")
  );
}

/** The account's stream as it is now. */
export interface ReplayTarget {
  readonly stream: string;
  /** When the stream was created (ms since epoch): part of every webhook-id of it. */
  readonly createdMs: number;
}

/**
 * The message to publish back for a dead letter of the account's stream: its data, its original
 * headers, and the replay header naming the message whose webhook-id it keeps: the original, or
 * when the original was itself a replay the daemon honoured, that one's original. A stream created
 * after the dead-lettering is another stream of the same name, whose sequences name other
 * messages: the replay then gets an id of its own. The DLQ copy is tenant input like any message:
 * only a copy that names the account's own stream and a publishable subject is replayed.
 */
export function replayPlan(d: DeadLetter, target: ReplayTarget): ReplayPlan {
  const { stream } = target;
  if (d.stream !== stream) {
    return {
      ok: false,
      error:
        d.stream === undefined
          ? "it names no original stream (streamhook-stream)"
          : `its original stream ${JSON.stringify(d.stream)} is not the account's stream ${stream}`,
    };
  }
  if (d.sequence === undefined || d.sequence === 0) {
    return { ok: false, error: "it names no original sequence (streamhook-sequence)" };
  }
  if (d.subject === undefined || !publishable(d.subject)) {
    return { ok: false, error: "it names no original subject one can publish to" };
  }
  const headers = natsHeaders();
  for (const name of d.headers.keys()) {
    if (dropped(name)) continue;
    for (const value of d.headers.values(name)) headers.append(name, value);
  }
  if (d.time.getTime() >= target.createdMs) {
    const previous = d.headers.get(REPLAY_OF_HEADER);
    headers.set(
      REPLAY_OF_HEADER,
      formatReplayOf(stream, replayedSequence(previous, stream, d.sequence)),
    );
  }
  return {
    ok: true,
    subject: d.subject,
    headers,
    msgId: `streamhook-replay:${d.dlqStream}:${d.dlqSequence}:${d.time.getTime()}`,
  };
}
