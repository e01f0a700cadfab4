// Payloads: a short one-account drain per payload shape, so the report shows how streamhook's
// rate and CPU per message against the baseline move with the payload's size and with where the
// publisher's own tenant_id sits, which the stamp must find and replace. Not judged: the targets
// judge the drains, which run one of these shapes; this puts that shape among the others.
import type { Context } from "../context.js";
import { shapeLabel } from "../payload.js";
import { drainScenario, type DrainResult } from "./drain.js";

export interface PayloadShape {
  readonly bytes: number;
  /** An index into TENANT_PLACES, as Sizes.drainTenantField. */
  readonly tenantAt: number;
}

/**
 * At the drains' 450 B, the tenant nowhere, first, in the middle and last; then the tenant first
 * from a small event to a large one.
 */
export const PAYLOAD_SHAPES: readonly PayloadShape[] = [
  { bytes: 450, tenantAt: 0 },
  { bytes: 450, tenantAt: 1 },
  { bytes: 450, tenantAt: 2 },
  { bytes: 450, tenantAt: 3 },
  { bytes: 200, tenantAt: 1 },
  { bytes: 1024, tenantAt: 1 },
  { bytes: 4096, tenantAt: 1 },
];

export interface ShapeResult extends PayloadShape {
  readonly drain: DrainResult;
}

export interface PayloadsResult {
  /** Messages of each shape's drain. */
  readonly messages: number;
  readonly rounds: number;
  readonly shapes: readonly ShapeResult[];
  /** Every shape's drain problems, each naming its shape. */
  readonly problems: readonly string[];
}

const labelOf = (shape: PayloadShape): string => shapeLabel(shape.bytes, shape.tenantAt);

/** A shape's drain is the drain scenario with this scenario's sizes and the shape's payload. */
export function shapeContext(context: Context, shape: PayloadShape): Context {
  const { sizes } = context;
  return {
    ...context,
    sizes: {
      ...sizes,
      drainMessages: sizes.payloadMessages,
      drainRounds: sizes.payloadRounds,
      drainMessageBytes: shape.bytes,
      drainTenantField: shape.tenantAt,
    },
    log: (message) => {
      context.log(`payloads, ${labelOf(shape)}: ${message}`);
    },
  };
}

export async function payloadsScenario(context: Context): Promise<PayloadsResult> {
  const shapes: ShapeResult[] = [];
  // One after the other: each shape's drain has its own nats-server and backlog, and its two
  // pipelines must have the machine to themselves as in the drains.
  for (const shape of PAYLOAD_SHAPES) {
    shapes.push({ ...shape, drain: await drainScenario(1, shapeContext(context, shape)) });
  }
  return {
    messages: context.sizes.payloadMessages,
    rounds: context.sizes.payloadRounds,
    shapes,
    problems: shapes.flatMap((s) => s.drain.problems.map((p) => `payloads, ${labelOf(s)}: ${p}`)),
  };
}
