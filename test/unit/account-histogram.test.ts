import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Histogram, Registry } from "prom-client";
import { createAccountHistogram } from "../../src/observability/account-histogram.js";

const buckets = [0.001, 0.01, 0.1, 1, 10];
const observations: [string, number][] = [
  ["a", 0.0005],
  ["a", 0.001],
  ["b", 0.05],
  ["a", 3],
  ["b", 42],
  ["a", 0.1],
  ['quo"te', 0.2],
];

describe("account histogram", () => {
  test("renders exactly what a prom-client histogram with the same observations renders", async () => {
    const reference = new Registry();
    const theirs = new Histogram({
      name: "h_seconds",
      help: "A histogram.",
      labelNames: ["account"],
      buckets,
      registers: [reference],
    });
    const registry = new Registry();
    const ours = createAccountHistogram({
      name: "h_seconds",
      help: "A histogram.",
      buckets,
      registry,
    });
    for (const [account, value] of observations) {
      theirs.observe({ account }, value);
      ours.series(account).observe(value);
    }
    assert.equal(await registry.metrics(), await reference.metrics());
    // The same values in the JSON form too, but for prom-client's empty exemplar slots.
    const withoutExemplars = (json: unknown): unknown =>
      JSON.parse(
        JSON.stringify(json, (key, value: unknown) => (key === "exemplar" ? undefined : value)),
      );
    assert.deepEqual(
      withoutExemplars(await registry.getMetricsAsJSON()),
      withoutExemplars(await reference.getMetricsAsJSON()),
    );
  });

  test("a removed account's series disappear", async () => {
    const registry = new Registry();
    const histogram = createAccountHistogram({ name: "h", help: "h", buckets, registry });
    histogram.series("a").observe(1);
    histogram.series("b").observe(1);
    histogram.remove("a");
    const text = await registry.metrics();
    assert.ok(!text.includes('account="a"'));
    assert.ok(text.includes('h_count{account="b"} 1'));
  });

  test("a reset registry zeroes the series, and later observations still count", async () => {
    const registry = new Registry();
    const histogram = createAccountHistogram({ name: "h", help: "h", buckets, registry });
    const series = histogram.series("a");
    series.observe(1);
    series.observe(2);
    registry.resetMetrics();
    assert.ok((await registry.metrics()).includes('h_count{account="a"} 0'));
    series.observe(3);
    const text = await registry.metrics();
    assert.ok(text.includes('h_count{account="a"} 1'));
    assert.ok(text.includes('h_sum{account="a"} 3'));
  });

  test("refuses buckets out of order", () => {
    assert.throws(
      () =>
        createAccountHistogram({ name: "h", help: "h", buckets: [1, 1], registry: new Registry() }),
      RangeError,
    );
  });
});
