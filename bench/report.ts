// The tables of a run, from its results: the same figures on the terminal and in BENCHMARKS.md.
import { cpuPerMessageRatio } from "./cpu-per-message.js";
import type { Results } from "./results.js";
import type { DrainResult } from "./scenarios/drain.js";
import { shapeLabel, TENANT_PLACES } from "./payload.js";
import { mean } from "./percentiles.js";
import type { Table } from "./table.js";
import { evaluateTargets } from "./targets.js";

const int = (n: number): string => Math.round(n).toLocaleString("en-US");
const ms = (n: number): string => n.toFixed(2);
const pct = (n: number | undefined): string => (n === undefined ? "-" : `${n.toFixed(1)}%`);
const us = (n: number | undefined): string => (n === undefined ? "-" : n.toFixed(1));
const mib = (n: number): string => `${n.toFixed(0)} MiB`;
const ratio = (n: number): string => `${n.toFixed(2)}x`;

function drainTable(r: Results): Table | undefined {
  const drains = [r.drainOne, r.drainMany].filter((d): d is DrainResult => d !== undefined);
  if (drains.length === 0) return undefined;
  const rows = drains.map((d) => [
    `${d.accounts} account${d.accounts === 1 ? "" : "s"}`,
    int(d.streamhookRate),
    int(d.baselineRate),
    ratio(d.ratio),
  ]);
  if (r.drainOne !== undefined && r.drainMany !== undefined) {
    const of = (a: number, b: number): string => (b > 0 ? ratio(a / b) : "-");
    rows.push([
      `${r.drainMany.accounts} vs 1 account`,
      of(r.drainMany.streamhookRate, r.drainOne.streamhookRate),
      of(r.drainMany.baselineRate, r.drainOne.baselineRate),
      "",
    ]);
  }
  const first = drains[0];
  return {
    title:
      `Drain: ${int(first?.messages ?? 0)} messages of ${int(r.sizes.drainMessageBytes)} B ` +
      `${payloadShape(r.sizes.drainTenantField)} already in the stream (msg/s)` +
      (r.sizes.tracing === 1 ? ", streamhook with tracing on" : "") +
      (r.sizes.signing === 0 ? ", streamhook unsigned" : ""),
    headers: ["", "streamhook", "baseline", "streamhook / baseline"],
    rows,
    note:
      `Rate = arrivals / (last - first arrival at the receiver); mean of ` +
      `${r.sizes.drainRounds} run(s) per pipeline in ABBA order, each from its own consumer ` +
      "of the same stream. " +
      (r.drainOne !== undefined && r.drainMany !== undefined
        ? "The one-account and many-account drains interleave in the same ABBA schedule, " +
          "each account count on its own nats-server."
        : ""),
  };
}

/** How the drain's payloads carry the publisher's own tenant (see Sizes.drainTenantField). */
function payloadShape(tenantAt: number): string {
  const place = TENANT_PLACES[tenantAt] ?? "none";
  return place === "none" ? "without a tenant field" : `with the publisher's tenant_id ${place}`;
}

function ceilingTable(r: Results): Table | undefined {
  const c = r.ceiling;
  if (c === undefined) return undefined;
  const lower = Math.min(c.nats, c.http);
  const share = (rate: number): string => (lower > 0 ? ratio(rate / lower) : "-");
  const cpuOf = (mode: "nats" | "http"): string =>
    pct(mean(c.runs.filter((run) => run.mode === mode).map((run) => run.cpu)));
  // One thread doing both halves, each at its own speed, one after the other per message.
  const serial = c.nats > 0 && c.http > 0 ? 1 / (1 / c.nats + 1 / c.http) : 0;
  const rows = [
    ["NATS client alone: consume and ack", int(c.nats), cpuOf("nats"), share(c.nats)],
    ["undici alone: POST to the receiver", int(c.http), cpuOf("http"), share(c.http)],
    ["both halves on one thread: 1 / (1/nats + 1/http)", int(serial), "", share(serial)],
  ];
  if (r.drainOne !== undefined) {
    rows.push([
      "streamhook drain, 1 account",
      int(r.drainOne.streamhookRate),
      "",
      share(r.drainOne.streamhookRate),
    ]);
    rows.push([
      "baseline drain, 1 account",
      int(r.drainOne.baselineRate),
      "",
      share(r.drainOne.baselineRate),
    ]);
  }
  return {
    title: `Ceiling: each half of a drain alone, one account, ${int(c.messages)} messages (msg/s)`,
    headers: ["", "msg/s", "CPU of its process", "of the lower ceiling"],
    rows,
    note:
      "Each half in its own process with the baseline's libraries and limits: the NATS client " +
      "consuming and acking with nothing else to do, and undici posting the same payloads to the " +
      "same receiver with nothing to pull. A pipeline can go no faster than the lower of the two " +
      "on this machine, and a single-threaded one no faster than both halves one after the " +
      "other; the drains above ran in the same run.",
  };
}

function drainRunsTable(r: Results): Table | undefined {
  const drains = [r.drainOne, r.drainMany].filter((d): d is DrainResult => d !== undefined);
  if (drains.length === 0) return undefined;
  const runs = drains
    .flatMap((d) => d.runs.map((run) => ({ accounts: d.accounts, ...run })))
    .sort((a, b) => a.order - b.order);
  return {
    title: "Drain runs, in the order they ran",
    headers: ["accounts", "pipeline", "round", "msg/s", "seconds"],
    rows: runs.map((run) => [
      String(run.accounts),
      run.pipeline,
      String(run.round + 1),
      int(run.rate),
      run.seconds.toFixed(1),
    ]),
  };
}

function cpuTable(r: Results): Table | undefined {
  const drains = [r.drainOne, r.drainMany].filter((d): d is DrainResult => d !== undefined);
  if (drains.length === 0) return undefined;
  const rows = drains.flatMap((d) =>
    (["streamhook", "baseline"] as const).map((p) => [
      `${d.accounts} account${d.accounts === 1 ? "" : "s"}, ${p}`,
      pct(d.cpu[p][p]),
      pct(d.cpu[p]["nats-server"]),
      pct(d.cpu[p].receiver),
      us(d.cpuPerMessageUs?.[p]),
    ]),
  );
  return {
    title: "CPU during the drain (% of one core, between first and last arrival)",
    headers: ["run", "pipeline process", "nats-server", "receiver", "µs per message"],
    rows,
    note:
      "µs per message: the pipeline process's CPU over its rate, per run, then the mean " +
      "over the pipeline's runs.",
  };
}

function payloadsTable(r: Results): Table | undefined {
  const p = r.payloads;
  if (p === undefined) return undefined;
  const rows = p.shapes.map(({ bytes, tenantAt, drain: d }) => {
    const cpuRatio = cpuPerMessageRatio(d.cpuPerMessageUs);
    return [
      shapeLabel(bytes, tenantAt),
      int(d.streamhookRate),
      int(d.baselineRate),
      d.baselineRate > 0 ? ratio(d.ratio) : "-",
      us(d.cpuPerMessageUs?.streamhook),
      us(d.cpuPerMessageUs?.baseline),
      cpuRatio === undefined ? "-" : ratio(cpuRatio),
    ];
  });
  return {
    title: `Payload shapes: one account, ${int(p.messages)} messages per shape`,
    headers: [
      "payload",
      "streamhook msg/s",
      "baseline msg/s",
      "rate ratio",
      "streamhook µs CPU/msg",
      "baseline µs CPU/msg",
      "CPU/msg ratio",
    ],
    rows,
    note:
      `Per shape, its own nats-server and backlog, ${p.rounds} run(s) per pipeline in ABBA ` +
      "order; rate and CPU per message as in the drain tables, each ratio streamhook's over " +
      "the baseline's. Not judged: the targets judge " +
      `the drains (${shapeLabel(r.sizes.drainMessageBytes, r.sizes.drainTenantField)}).`,
  };
}

function latencyTable(r: Results): Table | undefined {
  if (r.latency === undefined) return undefined;
  return {
    title: "Latency: publish -> receiver arrival at a steady rate (ms)",
    headers: ["pipeline", "rate (msg/s)", "p50", "p99", "max", "samples", "pipeline CPU"],
    rows: r.latency.runs.map((run) => [
      run.pipeline,
      int(run.rate),
      ms(run.latency.p50),
      ms(run.latency.p99),
      ms(run.latency.max),
      int(run.latency.count),
      pct(run.cpu[run.pipeline]),
    ]),
    note: `After a ${r.sizes.latencyWarmupMs / 1000} s warm-up, ${r.sizes.latencyMs / 1000} s per rate.`,
  };
}

function idleTable(r: Results): Table | undefined {
  const idle = r.idle;
  if (idle === undefined) return undefined;
  return {
    title: `Idle: ${int(idle.accounts)} directory accounts, nothing to deliver`,
    headers: ["measure", "value"],
    rows: [
      ["start until all running (/readyz)", `${(idle.allRunningMs / 1000).toFixed(2)} s`],
      ["streamhook RSS at the end of the idle window", mib(idle.rssMiB)],
      ["streamhook RSS, highest sample", mib(idle.rssMaxMiB)],
      [`streamhook CPU over ${idle.idleSeconds.toFixed(0)} idle s`, pct(idle.cpu.streamhook)],
      ["nats-server CPU meanwhile", pct(idle.cpu["nats-server"])],
    ],
  };
}

function fairnessTable(r: Results): Table | undefined {
  const f = r.fairness;
  if (f === undefined) return undefined;
  return {
    title: "Fairness: a quiet account beside another account's backlog",
    headers: ["measure", "value"],
    rows: [
      [
        "busy account backlog",
        `${int(f.backlog)} messages, receiver path answers after ${f.slowMs} ms`,
      ],
      ["quiet account", `${f.rate} msg/s, ${int(f.quiet.count)} messages`],
      ["quiet p50 / p99 / max", `${ms(f.quiet.p50)} / ${ms(f.quiet.p99)} / ${ms(f.quiet.max)} ms`],
      ["backlog delivered meanwhile", int(f.busyDelivered)],
    ],
  };
}

function memoryTable(r: Results): Table | undefined {
  const m = r.memory;
  if (m === undefined) return undefined;
  return {
    title: `Memory: streamhook RSS while draining ${int(m.messages)} messages`,
    headers: ["measure", "value"],
    rows: [
      ["min / max / last", `${mib(m.minMiB)} / ${mib(m.maxMiB)} / ${mib(m.lastMiB)}`],
      [
        "quarter averages: first (start-up) / second / last",
        `${mib(m.firstQuarterMiB)} / ${mib(m.secondQuarterMiB)} / ${mib(m.lastQuarterMiB)}`,
      ],
      ["samples", int(m.samples)],
      ["drain rate", `${int(m.seconds > 0 ? m.received / m.seconds : 0)} msg/s`],
    ],
  };
}

function targetTable(r: Results): Table {
  return {
    title: "Targets",
    headers: ["target", "measured", "result"],
    rows: evaluateTargets(r).map((t) => [
      t.target,
      t.measured,
      t.pass === undefined ? "-" : t.pass ? "PASS" : "MISS",
    ]),
  };
}

export function tables(results: Results): Table[] {
  return [
    drainTable(results),
    drainRunsTable(results),
    cpuTable(results),
    payloadsTable(results),
    latencyTable(results),
    idleTable(results),
    fairnessTable(results),
    memoryTable(results),
    ceilingTable(results),
    targetTable(results),
  ].filter((t): t is Table => t !== undefined);
}
