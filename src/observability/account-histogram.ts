import type { Histogram, Registry } from "prom-client";

/** One account's series: observing is a bucket search and three additions. */
export interface HistogramSeries {
  observe(value: number): void;
}

interface Series extends HistogramSeries {
  /** Per bucket, not cumulative; the last one is +Inf. */
  readonly counts: number[];
  sum: number;
  count: number;
}

/** What prom-client's registry reads from a metric's `get()` (its typings say otherwise). */
interface ExportedValue {
  readonly metricName: string;
  readonly labels: Readonly<Record<string, string | number>>;
  readonly value: number;
}

interface ExportedHistogram {
  readonly name: string;
  readonly help: string;
  readonly type: "histogram";
  readonly values: ExportedValue[];
  readonly aggregator: "sum";
}

export interface AccountHistogramOptions {
  readonly name: string;
  readonly help: string;
  /** Upper bounds, ascending. */
  readonly buckets: readonly number[];
  readonly registry: Registry;
}

/**
 * A histogram labelled by account, for observations made once or twice per delivered message.
 * prom-client's own `observe` validates and hashes the labels on every call, even through a
 * `labels()` child, which cost about a microsecond per observation on the drain's hot path.
 * Here each account's series is looked up once and exported at scrape time in the shape
 * prom-client's registry renders, so the exposition is the same as a prom-client histogram's.
 */
export interface AccountHistogram {
  series(account: string): HistogramSeries;
  remove(account: string): void;
}

export function createAccountHistogram(options: AccountHistogramOptions): AccountHistogram {
  const { name, help, buckets } = options;
  for (let i = 1; i < buckets.length; i++) {
    const previous = buckets[i - 1];
    if (previous === undefined || !((buckets[i] ?? NaN) > previous)) {
      throw new RangeError(`${name}: buckets must be ascending`);
    }
  }
  const all = new Map<string, Series>();

  const newSeries = (): Series => {
    const series: Series = {
      counts: new Array<number>(buckets.length + 1).fill(0),
      sum: 0,
      count: 0,
      observe(value) {
        let i = 0;
        while (i < buckets.length && value > (buckets[i] ?? Infinity)) i++;
        series.counts[i] = (series.counts[i] ?? 0) + 1;
        series.sum += value;
        series.count++;
      },
    };
    return series;
  };

  const metric = {
    name,
    help,
    type: "histogram",
    aggregator: "sum",
    get(): Promise<ExportedHistogram> {
      const values: ExportedValue[] = [];
      for (const [account, s] of all) {
        let cumulative = 0;
        for (let i = 0; i <= buckets.length; i++) {
          cumulative += s.counts[i] ?? 0;
          values.push({
            metricName: `${name}_bucket`,
            labels: { le: buckets[i] ?? "+Inf", account },
            value: cumulative,
          });
        }
        values.push({ metricName: `${name}_sum`, labels: { account }, value: s.sum });
        values.push({ metricName: `${name}_count`, labels: { account }, value: s.count });
      }
      return Promise.resolve({ name, help, type: "histogram", values, aggregator: "sum" });
    },
    // Zeroed in place, not dropped: the metrics keep each account's series to observe into, and
    // a dropped one would take their later observations with it.
    reset(): void {
      for (const s of all.values()) {
        s.counts.fill(0);
        s.sum = 0;
        s.count = 0;
      }
    },
  };
  // The registry reads a metric through `name`, `get()` and `reset()`; its typings name only
  // prom-client's own classes, and give `type` as an enum that its code never uses.
  options.registry.registerMetric(metric as unknown as Histogram);

  return {
    series(account) {
      let s = all.get(account);
      if (s === undefined) {
        s = newSeries();
        all.set(account, s);
      }
      return s;
    },
    remove(account) {
      all.delete(account);
    },
  };
}
