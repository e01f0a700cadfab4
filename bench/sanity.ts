// The machinery check a smoke run exists for: every figure a scenario produced is a real
// measurement (nonzero where zero means nothing was measured), whatever its size.
import { shapeLabel } from "./payload.js";
import type { Results } from "./results.js";
import type { DrainResult } from "./scenarios/drain.js";

export function sanityProblems(results: Results): string[] {
  const problems: string[] = [];
  const positive = (what: string, value: number | undefined): void => {
    if (value === undefined || !Number.isFinite(value) || value <= 0) {
      problems.push(`${what} is ${String(value)}, expected a positive measurement`);
    }
  };
  const checkDrain = (scope: string, drain: DrainResult): void => {
    for (const run of drain.runs) {
      const label = `${scope}, ${run.pipeline} round ${run.round + 1}`;
      positive(`${label}: rate`, run.rate);
      positive(`${label}: ${run.pipeline} CPU`, run.cpu[run.pipeline]);
      if (run.received !== drain.messages) {
        problems.push(`${label}: ${run.received} deliveries for ${drain.messages} messages`);
      }
    }
  };
  for (const drain of [results.drainOne, results.drainMany]) {
    if (drain !== undefined) checkDrain(`drain ${drain.accounts} account(s)`, drain);
  }
  for (const shape of results.payloads?.shapes ?? []) {
    checkDrain(`payloads ${shapeLabel(shape.bytes, shape.tenantAt)}`, shape.drain);
  }
  for (const run of results.latency?.runs ?? []) {
    const label = `latency ${run.pipeline} at ${run.rate}/s`;
    positive(`${label}: p50`, run.latency.p50);
    positive(`${label}: samples`, run.latency.count);
  }
  if (results.idle !== undefined) {
    positive("idle: time to all running", results.idle.allRunningMs);
    positive("idle: RSS", results.idle.rssMiB);
    // Idle CPU may honestly be zero clock ticks over a short window: not checked.
  }
  if (results.fairness !== undefined) {
    positive("fairness: quiet p50", results.fairness.quiet.p50);
    positive("fairness: backlog delivered", results.fairness.busyDelivered);
  }
  if (results.memory !== undefined) {
    positive("memory: samples", results.memory.samples);
    positive("memory: lowest RSS", results.memory.minMiB);
  }
  return problems;
}
