// The targets a run is judged against, each PASS or MISS from the figures measured in it.
import { cpuPerMessageRatio } from "./cpu-per-message.js";
import { shapeLabel } from "./payload.js";
import type { Results } from "./results.js";
import type { DrainResult } from "./scenarios/drain.js";

export interface TargetCheck {
  readonly target: string;
  readonly measured: string;
  /** Undefined when the scenario did not run or did not complete. */
  readonly pass: boolean | undefined;
}

const fixed = (n: number, digits = 2): string => n.toFixed(digits);

function check(
  target: string,
  value: number | undefined,
  ok: (v: number) => boolean,
  show: (v: number) => string,
): TargetCheck {
  return value === undefined || !Number.isFinite(value)
    ? { target, measured: "not measured", pass: undefined }
    : { target, measured: show(value), pass: ok(value) };
}

/** A drain against the baseline of the same run: its rate and its CPU per message. */
function againstBaseline(label: string, drain: DrainResult | undefined): TargetCheck[] {
  return [
    check(
      `${label}: streamhook >= 0.95x baseline`,
      drain?.ratio,
      (v) => v >= 0.95,
      (v) => `${fixed(v)}x`,
    ),
    check(
      `${label}: CPU per message <= 1.1x baseline`,
      cpuPerMessageRatio(drain?.cpuPerMessageUs),
      (v) => v <= 1.1,
      (v) => `${fixed(v)}x`,
    ),
  ];
}

export function evaluateTargets(results: Results): TargetCheck[] {
  const { drainOne, drainMany, latency, idle, fairness, memory } = results;
  const fastest = latency?.runs
    .filter((r) => r.pipeline === "streamhook" && r.complete)
    .sort((a, b) => b.rate - a.rate)[0];
  const manyVsOne =
    drainOne !== undefined && drainMany !== undefined && drainOne.streamhookRate > 0
      ? drainMany.streamhookRate / drainOne.streamhookRate
      : undefined;
  const nonEmpty = <T>(r: T | undefined, problems: (r: T) => readonly string[]): T | undefined =>
    r !== undefined && problems(r).length === 0 ? r : undefined;
  const one = nonEmpty(drainOne, (r) => r.problems);
  const many = nonEmpty(drainMany, (r) => r.problems);
  const idleOk = nonEmpty(idle, (r) => r.problems);
  // The drains' figures depend on the payload, so every drain target names the one it ran.
  const shape = shapeLabel(results.sizes.drainMessageBytes, results.sizes.drainTenantField);
  const manyLabel = `drain, ${drainMany?.accounts ?? "many"} accounts, ${shape}`;
  return [
    // The standing drain target; the stricter rate and the CPU per message beside it are the
    // goal for payloads that carry a publisher's tenant_id, judged from the same drains.
    check(
      `drain, 1 account, ${shape}: streamhook >= 0.9x baseline`,
      one?.ratio,
      (v) => v >= 0.9,
      (v) => `${fixed(v)}x`,
    ),
    ...againstBaseline(`drain, 1 account, ${shape}`, one),
    check(
      `${manyLabel}: >= 0.8x the 1-account rate`,
      many === undefined ? undefined : manyVsOne,
      (v) => v >= 0.8,
      (v) => `${fixed(v)}x`,
    ),
    ...againstBaseline(manyLabel, many),
    check(
      `latency at ${fastest?.rate ?? 5_000} msg/s: p99 < 15 ms`,
      fastest?.latency.p99,
      (v) => v < 15,
      (v) => `${fixed(v)} ms`,
    ),
    check(
      `${idle?.accounts ?? 1000} accounts: all running within 10 s`,
      idleOk?.allRunningMs,
      (v) => v < 10_000,
      (v) => `${fixed(v / 1000)} s`,
    ),
    check(
      `${idle?.accounts ?? 1000} accounts: RSS < 200 MB`,
      idleOk?.rssMiB,
      (v) => v * 1.048576 < 200,
      (v) => `${fixed(v * 1.048576, 0)} MB`,
    ),
    check(
      `${idle?.accounts ?? 1000} accounts: idle CPU < 2% of a core`,
      idleOk?.cpu.streamhook,
      (v) => v < 2,
      (v) => `${fixed(v)}%`,
    ),
    check(
      "fairness: quiet account p99 < 1 s",
      nonEmpty(fairness, (r) => r.problems)?.quiet.p99,
      (v) => v < 1_000,
      (v) => `${fixed(v, 1)} ms`,
    ),
    // Not a contract target: the bench's own reading of "stays flat". The first quarter is
    // start-up, the process growing from its size at start to its working set, and how much of
    // that falls in it varies from run to run; held against it, the same code measured 1.04x
    // and 1.22x. Growth is the last quarter against the warm second.
    check(
      "memory while draining stays flat: last-quarter RSS <= 1.2x second quarter",
      memory !== undefined && memory.problems.length === 0 && memory.secondQuarterMiB > 0
        ? memory.lastQuarterMiB / memory.secondQuarterMiB
        : undefined,
      (v) => v <= 1.2,
      (v) => `${fixed(v)}x`,
    ),
  ];
}
