// The demo's tenants, how their streams are laid out, and the sample events published to each,
// with the kind of each event deciding what must become of it.

export interface DemoTenant {
  /** The NATS account, and its directory in the accounts directory. */
  readonly account: string;
  readonly tenantId: string;
}

/**
 * - `normal`: delivered on the first attempt, stamped with the account's tenant_id.
 * - `spoofed`: claims another tenant's tenant_id; must arrive with the account's own.
 * - `malformed`: not JSON; must be dead-lettered with reason `malformed_payload`.
 * - `flaky`: the receiver refuses its first attempt; must be accepted on attempt 2.
 */
export type EventKind = "normal" | "spoofed" | "malformed" | "flaky";

export interface DemoEvent {
  /** Unique in the demo; in the payload as `demo_id`, so a delivery can be traced to its event. */
  readonly id: string;
  readonly account: string;
  readonly tenantId: string;
  readonly type: string;
  readonly kind: EventKind;
  readonly subject: string;
  /** Exactly what is published. */
  readonly data: string;
}

export const STREAM = "EVENTS";
export const CONSUMER = "webhooks";
export const EVENT_SUBJECT_PREFIX = "events.";
/** The stream captures its own dead letters, so the demo can read them back. */
export const DLQ_SUBJECT_PREFIX = "dlq.";
export const DLQ_SUBJECT_TEMPLATE = `${DLQ_SUBJECT_PREFIX}{account}`;

export const dlqSubjectOf = (account: string): string => `${DLQ_SUBJECT_PREFIX}${account}`;

export const TENANTS: readonly DemoTenant[] = [
  { account: "acme", tenantId: "tenant-acme" },
  { account: "globex", tenantId: "tenant-globex" },
];

interface Sample {
  readonly type: string;
  readonly kind: EventKind;
  readonly data: Readonly<Record<string, unknown>>;
}

const SAMPLES: Readonly<Record<string, readonly Sample[]>> = {
  acme: [
    { type: "order.created", kind: "normal", data: { order: "A-1001", total: 42.5 } },
    { type: "order.paid", kind: "normal", data: { order: "A-1001", method: "card" } },
    { type: "order.refunded", kind: "spoofed", data: { order: "A-0999", total: 9.99 } },
    { type: "order.cancelled", kind: "malformed", data: { order: "A-1002" } },
    { type: "order.shipped", kind: "flaky", data: { order: "A-1001", carrier: "DHL" } },
  ],
  globex: [
    { type: "user.signed_up", kind: "normal", data: { user: "u-17", plan: "pro" } },
    { type: "invoice.issued", kind: "normal", data: { invoice: "G-311", amount: 1200 } },
    { type: "user.deleted", kind: "spoofed", data: { user: "u-03" } },
    { type: "invoice.voided", kind: "malformed", data: { invoice: "G-309" } },
    { type: "invoice.paid", kind: "flaky", data: { invoice: "G-311", amount: 1200 } },
  ],
};

/** Another tenant's id: what a spoofing publisher would claim. */
function otherTenant(tenants: readonly DemoTenant[], index: number): string {
  const other = tenants[(index + 1) % tenants.length];
  return other === undefined || tenants.length < 2 ? "tenant-someone-else" : other.tenantId;
}

function payload(id: string, sample: Sample, spoofedTenant: string): string {
  const body = {
    demo_id: id,
    type: sample.type,
    ...(sample.kind === "spoofed" && { tenant_id: spoofedTenant }),
    data: sample.data,
  };
  const text = JSON.stringify(body);
  // A payload cut off mid-write: the common way real publishers produce invalid JSON.
  return sample.kind === "malformed" ? text.slice(0, text.length - 9) : text;
}

/** Every event of the demo, the tenants interleaved as they would be in real traffic. */
export function demoEvents(tenants: readonly DemoTenant[] = TENANTS): DemoEvent[] {
  const perTenant = tenants.map((tenant, index) =>
    (SAMPLES[tenant.account] ?? []).map((sample, n): DemoEvent => {
      const id = `${tenant.account}-${n + 1}`;
      return {
        id,
        account: tenant.account,
        tenantId: tenant.tenantId,
        type: sample.type,
        kind: sample.kind,
        subject: `${EVENT_SUBJECT_PREFIX}${sample.type}`,
        data: payload(id, sample, otherTenant(tenants, index)),
      };
    }),
  );
  const longest = Math.max(0, ...perTenant.map((events) => events.length));
  const events: DemoEvent[] = [];
  for (let n = 0; n < longest; n++) {
    for (const list of perTenant) {
      const event = list[n];
      if (event !== undefined) events.push(event);
    }
  }
  return events;
}
