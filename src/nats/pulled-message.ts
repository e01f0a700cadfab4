import type { JsMsg } from "@nats-io/jetstream";
import type { MsgHdrs } from "@nats-io/transport-node";

/**
 * What delivering a message reads of it, taken from the JetStream message once, when it is
 * pulled: its payload, subject and headers, and what its reply subject says.
 */
export interface PulledMessage {
  readonly data: Uint8Array;
  readonly subject: string;
  readonly headers: MsgHdrs | undefined;
  /** Its sequence in the stream. */
  readonly seq: number;
  /** 1 on the first delivery, one more for each redelivery. */
  readonly deliveryCount: number;
  /** When the stream stored it, in whole milliseconds since the epoch. */
  readonly publishedMs: number;
}

interface AckSubject {
  readonly deliveryCount: number;
  readonly seq: number;
  readonly publishedMs: number;
}

/** Where the reply subject's dots are; one parse at a time, so one array serves them all. */
const dots = new Int32Array(12);

/** The decimal number in `text[from, to)`, or NaN unless it is digits that a double holds. */
function digits(text: string, from: number, to: number): number {
  if (to <= from || to - from > 15) return Number.NaN;
  let value = 0;
  for (let at = from; at < to; at++) {
    const digit = text.charCodeAt(at) - 48;
    if (digit < 0 || digit > 9) return Number.NaN;
    value = value * 10 + digit;
  }
  return value;
}

/**
 * The delivery count, stream sequence and storage time in a JetStream ack subject, or undefined
 * for a form this does not know. The server sends
 * `$JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<nanos>.<pending>`, and since 2.9
 * `$JS.ACK.<domain>.<account hash>.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<nanos>.<pending>`
 * with a token more at the end. Names cannot hold a dot, so tokens are counted from the front.
 * The client's own parse splits the subject into a dozen strings and fills an eleven-field object,
 * and splits it again for a BigInt of the time: twice the work, all of it garbage at once.
 */
export function parseAckSubject(reply: string): AckSubject | undefined {
  if (!reply.startsWith("$JS.ACK.")) return undefined;
  let count = 0;
  for (let at = reply.indexOf("."); at >= 0; at = reply.indexOf(".", at + 1)) {
    if (count === dots.length) return undefined;
    dots[count++] = at;
  }
  // `count` dots make count + 1 tokens; the delivery count is token 4 of the old form, 6 of the new.
  const first = count === 8 ? 4 : count >= 10 ? 6 : -1;
  if (first < 0) return undefined;
  const token = (n: number, dropped = 0): number =>
    digits(reply, (dots[n - 1] ?? 0) + 1, (n < count ? (dots[n] ?? 0) : reply.length) - dropped);
  const deliveryCount = token(first);
  const seq = token(first + 1);
  // Nanoseconds since the epoch have 19 digits, more than a double holds exactly: the last six go.
  const publishedMs = token(first + 3, 6);
  if (Number.isNaN(deliveryCount + seq + publishedMs)) return undefined;
  return { deliveryCount, seq, publishedMs };
}

function clientParse(msg: JsMsg): AckSubject {
  const { info } = msg;
  return {
    deliveryCount: info.deliveryCount,
    seq: info.streamSequence,
    publishedMs: Math.floor(info.timestampNanos / 1e6),
  };
}

/**
 * The reply subject, which the client's message class has but its public type does not name:
 * without it the client's own parse is used.
 */
function replyOf(msg: JsMsg): string {
  const reply = (msg as { readonly reply?: unknown }).reply;
  return typeof reply === "string" ? reply : "";
}

/**
 * A pulled message as delivery reads it. Its headers stay the client's, decoded on first use: a
 * publisher's malformed header block makes the client throw, and that must fail the delivery of
 * this one message (SPEC section 4, `invalid_request`), not the pull loop that admits it.
 */
class Pulled implements PulledMessage {
  readonly #msg: JsMsg;
  readonly data: Uint8Array;
  readonly subject: string;
  readonly seq: number;
  readonly deliveryCount: number;
  readonly publishedMs: number;

  constructor(msg: JsMsg, ack: AckSubject) {
    this.#msg = msg;
    this.data = msg.data;
    this.subject = msg.subject;
    this.seq = ack.seq;
    this.deliveryCount = ack.deliveryCount;
    this.publishedMs = ack.publishedMs;
  }

  get headers(): MsgHdrs | undefined {
    return this.#msg.headers;
  }
}

/** Reads a pulled message once. Throws, as the client does, for one that is not JetStream's. */
export function pulledMessage(msg: JsMsg): PulledMessage {
  return new Pulled(msg, parseAckSubject(replyOf(msg)) ?? clientParse(msg));
}
