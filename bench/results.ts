// Everything one bench run measured, as written to the results JSON.
import type { CeilingResult } from "./scenarios/ceiling.js";
import type { DrainResult } from "./scenarios/drain.js";
import type { FairnessResult } from "./scenarios/fairness.js";
import type { IdleResult } from "./scenarios/idle.js";
import type { LatencyResult } from "./scenarios/latency.js";
import type { MemoryResult } from "./scenarios/memory.js";
import type { PayloadsResult } from "./scenarios/payloads.js";
import type { Meta } from "./meta.js";
import type { Sizes } from "./options.js";
import { sanityProblems } from "./sanity.js";

export interface Results {
  readonly meta: Meta;
  readonly sizes: Sizes;
  drainOne?: DrainResult;
  drainMany?: DrainResult;
  payloads?: PayloadsResult;
  latency?: LatencyResult;
  idle?: IdleResult;
  fairness?: FairnessResult;
  memory?: MemoryResult;
  ceiling?: CeilingResult;
  /** Scenarios that threw, with the error. */
  readonly failures: string[];
}

/** Every problem a scenario reported, and every scenario that failed outright. */
export function allProblems(results: Results): string[] {
  const scenarios = [
    results.drainOne,
    results.drainMany,
    results.payloads,
    results.latency,
    results.idle,
    results.fairness,
    results.memory,
    results.ceiling,
  ];
  return [
    ...results.failures,
    ...scenarios.flatMap((s) => s?.problems ?? []),
    ...sanityProblems(results),
  ];
}
