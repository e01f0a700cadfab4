import assert from "node:assert/strict";
import { test } from "node:test";
import { evaluateTargets, type TargetCheck } from "../../bench/targets.js";
import type { Results } from "../../bench/results.js";
import { drainResult, resultsOf } from "../helpers/bench-results.js";

const SHAPE = "450 B, tenant_id first";

function verdicts(results: Results): Map<string, TargetCheck> {
  return new Map(evaluateTargets(results).map((t) => [t.target, t]));
}

function verdict(results: Results, target: string): TargetCheck {
  const found = verdicts(results).get(target);
  assert.ok(found, `no target "${target}" in ${[...verdicts(results).keys()].join("; ")}`);
  return found;
}

test("bench targets: both drains against the baseline, named with the payload shape", () => {
  const results = resultsOf({
    drainOne: drainResult(1, {
      streamhookRate: 9_600,
      baselineRate: 10_000,
      cpuPerMessageUs: { streamhook: 55, baseline: 50 },
    }),
    drainMany: drainResult(100, {
      streamhookRate: 9_400,
      baselineRate: 10_000,
      cpuPerMessageUs: { streamhook: 56, baseline: 50 },
    }),
  });
  const one = `drain, 1 account, ${SHAPE}`;
  const many = `drain, 100 accounts, ${SHAPE}`;
  assert.equal(verdict(results, `${one}: streamhook >= 0.9x baseline`).pass, true);
  assert.deepEqual(verdict(results, `${one}: streamhook >= 0.95x baseline`), {
    target: `${one}: streamhook >= 0.95x baseline`,
    measured: "0.96x",
    pass: true,
  });
  assert.equal(verdict(results, `${one}: CPU per message <= 1.1x baseline`).pass, true);
  assert.equal(verdict(results, `${many}: >= 0.8x the 1-account rate`).measured, "0.98x");
  assert.equal(verdict(results, `${many}: streamhook >= 0.95x baseline`).pass, false);
  const cpu = verdict(results, `${many}: CPU per message <= 1.1x baseline`);
  assert.deepEqual([cpu.measured, cpu.pass], ["1.12x", false]);
});

test("bench targets: the shape named is the one the run's drains used", () => {
  const results = resultsOf({ drainOne: drainResult(1) });
  const sizes = { ...results.sizes, drainMessageBytes: 512, drainTenantField: 0 };
  const names = [...verdicts({ ...results, sizes }).keys()].filter((n) => n.startsWith("drain"));
  assert.equal(names.length, 6);
  for (const name of names) assert.match(name, /, 512 B, no tenant_id: /);
});

test("bench targets: a drain with problems or without CPU per message is not measured", () => {
  const results = resultsOf({
    // Written before CPU per message was reported.
    drainOne: drainResult(1, { streamhookRate: 9_800 }),
    drainMany: drainResult(100, {
      cpuPerMessageUs: { streamhook: 50, baseline: 50 },
      problems: ["100 account(s), streamhook round 1: 10 of 1000 arrived"],
    }),
  });
  const one = `drain, 1 account, ${SHAPE}`;
  assert.equal(verdict(results, `${one}: streamhook >= 0.95x baseline`).pass, true);
  assert.deepEqual(verdict(results, `${one}: CPU per message <= 1.1x baseline`), {
    target: `${one}: CPU per message <= 1.1x baseline`,
    measured: "not measured",
    pass: undefined,
  });
  for (const [name, check] of verdicts(results)) {
    if (name.startsWith("drain, 100 accounts")) assert.equal(check.pass, undefined, name);
  }
});

test("bench targets: without drains, the drain targets are not measured", () => {
  const drains = evaluateTargets(resultsOf()).filter((t) => t.target.startsWith("drain"));
  assert.equal(drains.length, 6);
  for (const t of drains) assert.equal(t.measured, "not measured", t.target);
});
