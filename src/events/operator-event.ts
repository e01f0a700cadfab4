import { randomUUID } from "node:crypto";

/** The operator events of SPEC section 13. */
export const EVENT_TYPES = [
  "account.running",
  "account.waiting",
  "account.invalid",
  "account.disabled",
  "breaker.opened",
  "breaker.closed",
  "message.dead_lettered",
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

/** The account an event is about. */
export interface EventSubject {
  readonly account: string;
  readonly tenantId: string | undefined;
}

/** Plain JSON: strings, numbers, booleans, and objects of them. */
export type EventData = Readonly<Record<string, unknown>>;

/**
 * Where the daemon's parts report what an operator should hear about. Every method returns at
 * once and never throws: an event is queued, and sent (or not) on a loop of its own, so no
 * delivery ever waits for one.
 */
export interface EventSink {
  emit(type: EventType, subject: EventSubject, data: EventData): void;
  /** One dead-lettered message, counted into its account's `message.dead_lettered` window. */
  deadLettered(subject: EventSubject, reason: string): void;
}

/** The sink while `events.url` is unset. */
export const NO_EVENTS: EventSink = {
  emit() {
    // Off: nothing to send.
  },
  deadLettered() {
    // Off: nothing to count.
  },
};

/** An event ready to send: its body is fixed when it happened, its signature per attempt. */
export interface EncodedEvent {
  readonly type: EventType;
  /** The `webhook-id`: the same over every attempt of this event, with no `.` in it. */
  readonly id: string;
  readonly body: Buffer;
}

/**
 * The longest string an event carries. Reasons quote file paths and server errors; an operator
 * needs their start, and a bounded event keeps the queue's byte budget meaningful.
 */
export const MAX_TEXT = 512;

function bounded(value: unknown): unknown {
  if (typeof value === "string") return value.length > MAX_TEXT ? value.slice(0, MAX_TEXT) : value;
  if (typeof value !== "object" || value === null) return value;
  return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, bounded(inner)]));
}

/** `{type, timestamp, account, tenant_id, data}`, with `tenant_id` null when the account has none. */
export function encodeEvent(
  type: EventType,
  subject: EventSubject,
  data: EventData,
  nowMs: number = Date.now(),
): EncodedEvent {
  const body = {
    type,
    timestamp: new Date(nowMs).toISOString(),
    account: subject.account,
    tenant_id: subject.tenantId ?? null,
    data: bounded(data),
  };
  return { type, id: `evt_${randomUUID()}`, body: Buffer.from(JSON.stringify(body)) };
}
