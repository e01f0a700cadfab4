import assert from "node:assert/strict";
import { test } from "node:test";
import type { Context } from "../../bench/context.js";
import { drainPayloadOf, shapeLabel } from "../../bench/payload.js";
import { tables } from "../../bench/report.js";
import { allProblems } from "../../bench/results.js";
import { PAYLOAD_SHAPES, shapeContext } from "../../bench/scenarios/payloads.js";
import { renderText } from "../../bench/table.js";
import { drainResult, drainRun, resultsOf } from "../helpers/bench-results.js";

const labels = PAYLOAD_SHAPES.map((s) => shapeLabel(s.bytes, s.tenantAt));

test("bench payload shapes: the tenant in every place at 450 B, first from 200 B to 4 KB", () => {
  assert.deepEqual(labels, [
    "450 B, no tenant_id",
    "450 B, tenant_id first",
    "450 B, tenant_id middle",
    "450 B, tenant_id last",
    "200 B, tenant_id first",
    "1024 B, tenant_id first",
    "4096 B, tenant_id first",
  ]);
  for (const shape of PAYLOAD_SHAPES) {
    assert.equal(drainPayloadOf(shape.bytes, shape.tenantAt)(0).length, shape.bytes);
  }
});

test("bench payload shapes: a shape's drain runs the scenario's sizes with its payload", () => {
  const logged: string[] = [];
  const context: Context = {
    sizes: resultsOf().sizes,
    profileDir: undefined,
    against: undefined,
    otlpEndpoint: undefined,
    log: (message) => logged.push(message),
  };
  const shaped = shapeContext(context, { bytes: 1024, tenantAt: 3 });
  assert.deepEqual(shaped.sizes, {
    ...context.sizes,
    drainMessages: context.sizes.payloadMessages,
    drainRounds: context.sizes.payloadRounds,
    drainMessageBytes: 1024,
    drainTenantField: 3,
  });
  shaped.log("provisioning");
  assert.deepEqual(logged, ["payloads, 1024 B, tenant_id last: provisioning"]);
});

test("bench payload shapes: one table row per shape, and their problems count", () => {
  const results = resultsOf({
    payloads: {
      messages: 1_000,
      rounds: 1,
      shapes: PAYLOAD_SHAPES.map((shape) => ({
        ...shape,
        drain: drainResult(1, {
          streamhookRate: 9_000,
          cpuPerMessageUs: { streamhook: 55, baseline: 50 },
        }),
      })),
      problems: ["payloads, 200 B, tenant_id first: streamhook exited with 1"],
    },
  });
  const table = tables(results).find((t) => t.title.startsWith("Payload shapes"));
  assert.ok(table);
  assert.deepEqual(
    table.rows.map((row) => row[0]),
    labels,
  );
  assert.deepEqual(table.rows[1], [
    "450 B, tenant_id first",
    "9,000",
    "10,000",
    "0.90x",
    "55.0",
    "50.0",
    "1.10x",
  ]);
  assert.match(renderText(table), /Not judged/);
  assert.ok(
    allProblems(results).includes("payloads, 200 B, tenant_id first: streamhook exited with 1"),
  );
});

test("bench payload shapes: the smoke run's sanity checks cover every shape's runs", () => {
  const complete = drainResult(1, { runs: [drainRun("streamhook", 10_000, 50)] });
  const empty = drainResult(1, { runs: [{ ...drainRun("baseline", 10_000, 0), received: 10 }] });
  const results = resultsOf({
    payloads: {
      messages: 1_000,
      rounds: 1,
      shapes: [
        { bytes: 450, tenantAt: 1, drain: complete },
        { bytes: 4096, tenantAt: 1, drain: empty },
      ],
      problems: [],
    },
  });
  assert.deepEqual(allProblems(results), [
    "payloads 4096 B, tenant_id first, baseline round 1: baseline CPU is 0, expected a positive measurement",
    "payloads 4096 B, tenant_id first, baseline round 1: 10 deliveries for 1000 messages",
  ]);
});
