import type { StoredMsg } from "@nats-io/jetstream";
import type { MsgHdrs } from "@nats-io/transport-node";

/**
 * One message of an account's DLQ, with what the daemon wrote about it in its headers. Anyone
 * who can publish to the DLQ subject can put anything there, so every field read from a header
 * is optional and checked: a field that does not parse is absent, never an error.
 */
export interface DeadLetter {
  readonly account: string;
  readonly dlqStream: string;
  readonly dlqSequence: number;
  /** When the DLQ stream stored it. */
  readonly time: Date;
  readonly reason: string | undefined;
  /** The last HTTP status, when there was one. */
  readonly status: number | undefined;
  readonly attempts: number | undefined;
  /** Where the original lived: its subject, stream and sequence. */
  readonly subject: string | undefined;
  readonly stream: string | undefined;
  readonly sequence: number | undefined;
  readonly headers: MsgHdrs;
  readonly data: Uint8Array;
}

/** The `dlq list --json` form of one dead letter. */
export interface DeadLetterJson {
  readonly account: string;
  readonly dlq_sequence: number;
  readonly reason: string | null;
  readonly status: number | null;
  readonly attempts: number | null;
  readonly subject: string | null;
  readonly sequence: number | null;
  readonly time: string;
}

/** Header values are the only text the daemon writes; longer ones are not its. */
const MAX_VALUE = 4096;
const COUNT = /^[0-9]{1,16}$/;

function text(headers: MsgHdrs, name: string): string | undefined {
  const value = headers.get(name);
  return value === "" || value.length > MAX_VALUE ? undefined : value;
}

function count(headers: MsgHdrs, name: string): number | undefined {
  const value = headers.get(name);
  if (!COUNT.test(value)) return undefined;
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : undefined;
}

export function deadLetterOf(account: string, dlqStream: string, stored: StoredMsg): DeadLetter {
  const { header } = stored;
  return {
    account,
    dlqStream,
    dlqSequence: stored.seq,
    time: stored.time,
    reason: text(header, "streamhook-dlq-reason"),
    status: count(header, "streamhook-dlq-status"),
    attempts: count(header, "streamhook-dlq-attempts"),
    subject: text(header, "streamhook-subject"),
    stream: text(header, "streamhook-stream"),
    sequence: count(header, "streamhook-sequence"),
    headers: header,
    data: stored.data,
  };
}

export function toJson(d: DeadLetter): DeadLetterJson {
  return {
    account: d.account,
    dlq_sequence: d.dlqSequence,
    reason: d.reason ?? null,
    status: d.status ?? null,
    attempts: d.attempts ?? null,
    subject: d.subject ?? null,
    sequence: d.sequence ?? null,
    time: d.time.toISOString(),
  };
}
