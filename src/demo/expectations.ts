// What the demo saw, compared with what each event's kind says must have happened to it. Pure:
// the verdict depends only on the events and the observations, so it can be tested on its own.
import { dlqSubjectOf, type DemoEvent } from "./events.js";
import type { SignatureCheck } from "./signature.js";

/** One request the receiver got, and what it answered. */
export interface SeenDelivery {
  /** `demo_id` of the body; undefined when the body is not a JSON object carrying one. */
  readonly eventId: string | undefined;
  /** The `streamhook-account` header. */
  readonly account: string | undefined;
  /** The `streamhook-tenant` header. */
  readonly tenantHeader: string | undefined;
  /** `tenant_id` of the body, whatever its type. */
  readonly bodyTenant: unknown;
  /** `type` of the body. */
  readonly type: unknown;
  /** The `streamhook-attempt` header as a number; undefined when absent or not a number. */
  readonly attempt: number | undefined;
  readonly webhookId: string | undefined;
  readonly signature: SignatureCheck;
  /** The status the receiver answered. */
  readonly status: number;
}

/** A message found on a DLQ subject of an account's stream. */
export interface SeenDeadLetter {
  /** The account whose stream holds it. */
  readonly account: string;
  readonly subject: string;
  readonly data: string;
  readonly reason: string | undefined;
  readonly attempts: string | undefined;
  readonly originalSubject: string | undefined;
  readonly tenant: string | undefined;
}

export interface Observations {
  readonly deliveries: readonly SeenDelivery[];
  readonly deadLetters: readonly SeenDeadLetter[];
}

export interface Verdict {
  /** Every event has met its fate (accepted or dead-lettered), rightly or not. */
  readonly complete: boolean;
  /** Ids of the events that have not, yet. */
  readonly pending: readonly string[];
  /** Everything that differs from what was expected; empty when the demo succeeded. */
  readonly problems: readonly string[];
}

export const accepted = (d: SeenDelivery): boolean => d.status >= 200 && d.status < 300;

/** Failed first attempts each kind is scripted to have. */
export const expectedFailures = (event: DemoEvent): number => (event.kind === "flaky" ? 1 : 0);

const show = (value: unknown): string =>
  value === undefined
    ? "nothing"
    : typeof value === "string"
      ? `"${value}"`
      : JSON.stringify(value);

function deliveryProblems(event: DemoEvent, deliveries: readonly SeenDelivery[]): string[] {
  const problems: string[] = [];
  const successes = deliveries.filter(accepted);
  const failures = deliveries.length - successes.length;
  const wantedFailures = expectedFailures(event);
  const wantedAttempt = wantedFailures + 1;
  if (successes.length === 0) problems.push("was never accepted by the receiver");
  if (successes.length > 1) problems.push(`was accepted ${successes.length} times, expected once`);
  if (failures !== wantedFailures) {
    problems.push(`had ${failures} failed attempt(s), expected ${wantedFailures}`);
  }
  for (const success of successes) {
    if (success.attempt !== wantedAttempt) {
      problems.push(
        `was accepted on attempt ${show(success.attempt)}, expected attempt ${wantedAttempt}`,
      );
    }
  }
  for (const d of deliveries) {
    const at = `attempt ${show(d.attempt)}`;
    if (d.signature !== "verified") problems.push(`${at}: signature ${d.signature}`);
    if (d.account !== event.account) {
      problems.push(`${at}: streamhook-account ${show(d.account)}, expected "${event.account}"`);
    }
    if (d.tenantHeader !== event.tenantId) {
      problems.push(
        `${at}: streamhook-tenant ${show(d.tenantHeader)}, expected "${event.tenantId}"`,
      );
    }
    if (d.bodyTenant !== event.tenantId) {
      const spoofed = event.kind === "spoofed" ? " (the spoofed value was not replaced)" : "";
      problems.push(
        `${at}: body tenant_id ${show(d.bodyTenant)}, expected "${event.tenantId}"${spoofed}`,
      );
    }
    if (d.type !== event.type) problems.push(`${at}: type ${show(d.type)}`);
  }
  if (new Set(deliveries.map((d) => d.webhookId)).size > 1) {
    problems.push("its webhook-id changed between attempts");
  }
  return problems;
}

function deadLetterProblems(
  event: DemoEvent,
  deliveries: readonly SeenDelivery[],
  deadLetters: readonly SeenDeadLetter[],
): string[] {
  const problems: string[] = [];
  if (deliveries.length > 0) {
    problems.push(`reached the receiver ${deliveries.length} time(s); it must be dead-lettered`);
  }
  if (deadLetters.length === 0) problems.push("was not dead-lettered");
  if (deadLetters.length > 1) {
    problems.push(`was dead-lettered ${deadLetters.length} times, expected once`);
  }
  const wantedSubject = dlqSubjectOf(event.account);
  for (const dl of deadLetters) {
    if (dl.account !== event.account) problems.push(`dead letter in account "${dl.account}"`);
    if (dl.subject !== wantedSubject) {
      problems.push(`dead letter on ${dl.subject}, expected ${wantedSubject}`);
    }
    if (dl.reason !== "malformed_payload") {
      problems.push(`streamhook-dlq-reason ${show(dl.reason)}, expected "malformed_payload"`);
    }
    if (dl.attempts !== "1") {
      problems.push(`streamhook-dlq-attempts ${show(dl.attempts)}, expected "1"`);
    }
    if (dl.originalSubject !== event.subject) {
      problems.push(`streamhook-subject ${show(dl.originalSubject)}, expected "${event.subject}"`);
    }
    if (dl.tenant !== event.tenantId) {
      problems.push(`streamhook-tenant ${show(dl.tenant)}, expected "${event.tenantId}"`);
    }
  }
  return problems;
}

/** What is left over: requests and dead letters that belong to no event, ids shared by events. */
function strayProblems(events: readonly DemoEvent[], seen: Observations): string[] {
  const problems: string[] = [];
  const ids = new Set(events.map((e) => e.id));
  for (const d of seen.deliveries) {
    if (d.eventId === undefined || !ids.has(d.eventId)) {
      problems.push(`unexpected request (account ${show(d.account)}, demo_id ${show(d.eventId)})`);
    }
  }
  const published = new Set(events.map((e) => e.data));
  for (const dl of seen.deadLetters) {
    if (!published.has(dl.data)) {
      problems.push(`unexpected dead letter on ${dl.subject} (reason ${show(dl.reason)})`);
    }
  }
  const owner = new Map<string, string>();
  for (const d of seen.deliveries) {
    if (d.webhookId === undefined || d.eventId === undefined) continue;
    const first = owner.get(d.webhookId);
    if (first === undefined) owner.set(d.webhookId, d.eventId);
    else if (first !== d.eventId) {
      problems.push(`events ${first} and ${d.eventId} share webhook-id ${d.webhookId}`);
    }
  }
  return problems;
}

export function judge(events: readonly DemoEvent[], seen: Observations): Verdict {
  const problems: string[] = [];
  const pending: string[] = [];
  for (const event of events) {
    const deliveries = seen.deliveries.filter((d) => d.eventId === event.id);
    const deadLetters = seen.deadLetters.filter((dl) => dl.data === event.data);
    // Met its fate either way: a wrong fate is a problem, not something to wait longer for.
    if (!deliveries.some(accepted) && deadLetters.length === 0) pending.push(event.id);
    const own =
      event.kind === "malformed"
        ? deadLetterProblems(event, deliveries, deadLetters)
        : [
            ...deliveryProblems(event, deliveries),
            ...(deadLetters.length > 0 ? ["was dead-lettered; it must be delivered"] : []),
          ];
    problems.push(...own.map((p) => `${event.id} (${event.account} ${event.type}): ${p}`));
  }
  problems.push(...strayProblems(events, seen));
  return { complete: pending.length === 0, pending, problems };
}
