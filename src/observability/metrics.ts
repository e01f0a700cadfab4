import { Counter, Gauge, Registry, collectDefaultMetrics } from "prom-client";
import type { AccountStatus, ConsumerBacklog } from "../accounts/state.js";
import type { BreakerState } from "../delivery/breaker.js";
import type { AccountObserver } from "../accounts/account-runner.js";
import { DEAD_LETTER_REASONS, type Decision } from "../delivery/decision.js";
import type { DeliveryOutcome } from "../delivery/outcome.js";
import type { SettleResult } from "../delivery/settlement.js";
import type { EventsObserver } from "../events/operator-events.js";
import { createAccountHistogram, type HistogramSeries } from "./account-histogram.js";

/** An account as the metrics read it when scraped. */
export interface MetricsAccount extends AccountStatus {
  /** Requests in flight now. */
  readonly inflight: number;
  /** The account's breaker, per webhook origin. */
  readonly breakers: ReadonlyMap<string, BreakerState>;
}

/** What the metrics read when scraped, rather than being told on every change. */
export interface MetricsSources {
  readonly queueDepth: () => number;
  readonly accounts: () => readonly MetricsAccount[];
}

/** Per-account figures for `/accounts`, counted since this process started. */
export interface AccountFigures {
  readonly delivered: number;
  /** Attempts that did not succeed: an HTTP error status, a timeout or a network error. */
  readonly failed: number;
  readonly deadLettered: number;
  readonly backlog: ConsumerBacklog | undefined;
}

export interface Metrics extends AccountObserver, EventsObserver {
  readonly registry: Registry;
  figures(account: string): AccountFigures;
  /** Drops every series of an account that was removed, so a churning directory cannot grow them. */
  forget(account: string): void;
  /** The Prometheus text exposition. */
  scrape(): Promise<{ contentType: string; body: string }>;
}

type AttemptResult = "success" | "http_error" | "timeout" | "network_error";

/**
 * One account's figures. The per-message counters are plain numbers handed to prom-client when
 * scraped: its `inc` hashes the labels on every call, a measurable share of a drain. The
 * histograms are account-histogram.ts's, for the same reason.
 */
interface AccountSeries {
  received: number;
  acked: number;
  nacked: number;
  readonly attempts: Record<AttemptResult, number>;
  readonly duration: HistogramSeries;
  readonly endToEnd: HistogramSeries;
  failed: number;
  deadLettered: number;
  backlog: ConsumerBacklog | undefined;
}

const ATTEMPT_RESULTS = ["success", "http_error", "timeout", "network_error"] as const;

function attemptResult(outcome: DeliveryOutcome): AttemptResult {
  switch (outcome.kind) {
    case "response":
      return outcome.status >= 200 && outcome.status < 300 ? "success" : "http_error";
    case "timeout":
      return "timeout";
    default:
      return "network_error";
  }
}

/**
 * How often the event-loop lag histogram samples the loop. prom-client's default of 10 ms wakes
 * the process a hundred times a second: about 0.9% of a core on a 2-core machine with nothing
 * else to do, half of what a thousand idle accounts cost. A stall still delays the next sample,
 * so at 100 ms every stall is still seen; only the histogram holds fewer samples.
 */
const EVENT_LOOP_SAMPLE_MS = 100;

/** The SPEC's metric names (section 6) on a registry of their own, plus the process metrics. */
export function createMetrics(sources: MetricsSources): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({
    register: registry,
    eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS,
  });
  const registers = [registry];
  const account = ["account"] as const;

  const series = new Map<string, AccountSeries>();
  /** A counter per account whose value is read from `series` when scraped. */
  const accountCounter = (
    name: string,
    help: string,
    count: (s: AccountSeries) => number,
  ): Counter<"account"> =>
    new Counter({
      name,
      help,
      labelNames: account,
      registers,
      collect() {
        // Rebuilt at every scrape, so a removed account's series disappear with it.
        this.reset();
        for (const [name, s] of series) this.inc({ account: name }, count(s));
      },
    });
  accountCounter(
    "streamhook_messages_received_total",
    "Messages pulled from the account's consumer.",
    (s) => s.received,
  );
  accountCounter(
    "streamhook_messages_acked_total",
    "Messages acknowledged after the webhook accepted them.",
    (s) => s.acked,
  );
  accountCounter(
    "streamhook_messages_nacked_total",
    "Messages given back to JetStream for a later attempt.",
    (s) => s.nacked,
  );
  const deadLettered = new Counter({
    name: "streamhook_messages_dead_lettered_total",
    help: "Messages that can never be delivered, by reason.",
    labelNames: ["account", "reason"] as const,
    registers,
  });
  new Counter({
    name: "streamhook_delivery_attempts_total",
    help: "Webhook requests made, by result.",
    labelNames: ["account", "result"] as const,
    registers,
    collect() {
      this.reset();
      for (const [name, s] of series) {
        for (const result of ATTEMPT_RESULTS) {
          this.inc({ account: name, result }, s.attempts[result]);
        }
      }
    },
  });
  const duration = createAccountHistogram({
    name: "streamhook_delivery_duration_seconds",
    help: "Time of one webhook request, until its response headers or its failure.",
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registry,
  });
  const endToEnd = createAccountHistogram({
    name: "streamhook_end_to_end_seconds",
    help: "From the message's JetStream timestamp to its acknowledgement.",
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 3600],
    registry,
  });
  new Gauge({
    name: "streamhook_inflight_deliveries",
    help: "Webhook requests in flight.",
    labelNames: account,
    registers,
    // Read at scrape time: setting a gauge twice per delivery was a measurable share of a drain.
    collect() {
      this.reset();
      for (const a of sources.accounts()) this.set({ account: a.name }, a.inflight);
    },
  });
  new Gauge({
    name: "streamhook_consumer_pending",
    help: "The consumer's num_pending, refreshed periodically from consumer info.",
    labelNames: account,
    registers,
    // The last backlog each account reported, kept for /accounts as well.
    collect() {
      this.reset();
      for (const [name, s] of series) {
        if (s.backlog !== undefined) this.set({ account: name }, s.backlog.pending);
      }
    },
  });
  new Gauge({
    name: "streamhook_queue_depth",
    help: "Messages held in the delivery queue, all accounts.",
    registers,
    collect() {
      this.set(sources.queueDepth());
    },
  });
  new Gauge({
    name: "streamhook_account_up",
    help: "1 while the account is running (pulling), else 0.",
    labelNames: account,
    registers,
    collect() {
      // Rebuilt at every scrape, so removed accounts disappear instead of reading 0 forever.
      this.reset();
      for (const a of sources.accounts()) {
        this.set({ account: a.name }, a.state === "running" ? 1 : 0);
      }
    },
  });
  new Gauge({
    name: "streamhook_account_state",
    help: "1 for the state each account is in (starting, running, paused, waiting, invalid, disabled, stopped).",
    labelNames: ["account", "state"] as const,
    registers,
    collect() {
      // Only the current state: an alert on `state="waiting"` needs no join with account_up.
      this.reset();
      for (const a of sources.accounts()) this.set({ account: a.name, state: a.state }, 1);
    },
  });
  new Gauge({
    name: "streamhook_breaker_open",
    help: "1 while an account's circuit breaker for a webhook origin is open or half-open.",
    labelNames: ["account", "origin"] as const,
    registers,
    collect() {
      this.reset();
      for (const a of sources.accounts()) {
        for (const [origin, state] of a.breakers) {
          this.set({ account: a.name, origin }, state === "closed" ? 0 : 1);
        }
      }
    },
  });

  const eventsFailed = new Counter({
    name: "streamhook_events_failed_total",
    help: "Operator events not sent: dropped (the queue was full, or shutdown came first) or failed after their retries.",
    labelNames: ["type", "reason"] as const,
    registers,
  });

  const seriesOf = (name: string): AccountSeries => {
    let s = series.get(name);
    if (s === undefined) {
      s = {
        received: 0,
        acked: 0,
        nacked: 0,
        attempts: { success: 0, http_error: 0, timeout: 0, network_error: 0 },
        duration: duration.series(name),
        endToEnd: endToEnd.series(name),
        failed: 0,
        deadLettered: 0,
        backlog: undefined,
      };
      series.set(name, s);
    }
    return s;
  };

  return {
    registry,
    received(name) {
      seriesOf(name).received++;
    },
    consumerBacklog(name, backlog) {
      seriesOf(name).backlog = backlog;
    },
    attempted(name: string, outcome: DeliveryOutcome, durationMs: number) {
      const s = seriesOf(name);
      const result = attemptResult(outcome);
      s.attempts[result]++;
      s.duration.observe(durationMs / 1000);
      if (result !== "success") s.failed++;
    },
    settled(name: string, decision: Decision, result: SettleResult, publishedMs?: number) {
      const s = seriesOf(name);
      switch (result) {
        case "acked": {
          s.acked++;
          if (publishedMs !== undefined) {
            s.endToEnd.observe(Math.max(0, Date.now() - publishedMs) / 1000);
          }
          return;
        }
        case "nacked":
          s.nacked++;
          return;
        case "dead_lettered":
          s.deadLettered++;
          deadLettered.inc({
            account: name,
            reason: decision.action === "dead_letter" ? decision.reason : "unknown",
          });
      }
    },
    eventFailed(type, reason) {
      eventsFailed.inc({ type, reason });
    },
    figures(name) {
      const s = series.get(name);
      return {
        delivered: s?.acked ?? 0,
        failed: s?.failed ?? 0,
        deadLettered: s?.deadLettered ?? 0,
        backlog: s?.backlog,
      };
    },
    forget(name) {
      if (!series.delete(name)) return;
      // The metrics read from `series` drop the account by themselves.
      duration.remove(name);
      endToEnd.remove(name);
      // Reasons are few and known; removing one never recorded is harmless.
      for (const reason of DEAD_LETTER_REASONS) deadLettered.remove({ account: name, reason });
    },
    async scrape() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}
