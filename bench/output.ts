// Writing a run down: the results JSON, and for a complete full run the BENCHMARKS.md summary.
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { format, resolveConfig } from "prettier";
import type { Results } from "./results.js";
import { renderMarkdown, type Table } from "./table.js";

export const RESULTS_JSON = fileURLToPath(new URL("./results.json", import.meta.url));
/** A smoke run's results: they prove the machinery works, not how fast anything is. */
export const SMOKE_JSON = fileURLToPath(new URL("./results.smoke.json", import.meta.url));
/** A full-size run of some scenarios, or one that did not complete. */
export const PARTIAL_JSON = fileURLToPath(new URL("./results.partial.json", import.meta.url));
const BENCHMARKS_MD = fileURLToPath(new URL("../BENCHMARKS.md", import.meta.url));
const FINDINGS_MD = fileURLToPath(new URL("./findings.md", import.meta.url));

export function writeResults(path: string, results: Results): void {
  writeFileSync(path, `${JSON.stringify(results, null, 2)}\n`);
}

/** Formatted as the repository's prettier would, so a fresh run leaves `prettier --check` clean. */
async function formatted(markdown: string, path: string): Promise<string> {
  const config = (await resolveConfig(path)) ?? {};
  return format(markdown, { ...config, filepath: path });
}

/** What people found in the profiles (bench/findings.md): kept in BENCHMARKS.md across runs. */
function findings(): string[] {
  const text = readFileSync(FINDINGS_MD, { encoding: "utf8", flag: "r" });
  return [text.trimEnd(), ""];
}

export async function writeBenchmarks(results: Results, all: readonly Table[]): Promise<string> {
  const { meta } = results;
  const text = [
    "# Benchmarks",
    "",
    "Produced by `npm run bench` (`bench/run.ts`); the raw figures of this run are in",
    "`bench/results.json`. Every headline figure is a ratio measured in the same run against a",
    "baseline, because absolute figures drift on shared machines.",
    "",
    `These figures come from a shared ${meta.cores}-core machine (${meta.cpuModel}, ` +
      `${meta.memoryGiB} GiB) on which other work ran at the same time (1-minute load average ` +
      `${meta.loadBefore.toFixed(2)} before the run): treat them as indicative.`,
    "",
    `Run ${meta.date}, streamhook ${meta.streamhook} (${meta.commit}), Node ${meta.node}, ` +
      `nats-server ${meta.natsServer}; ${Math.round(meta.durationSeconds / 60)} minutes.`,
    "",
    "## Set-up",
    "",
    "- nats-server in operator mode on loopback, file storage, one account per tenant.",
    "- streamhook: the built daemon (`node dist/cli.js run`) configured by environment,",
    "  accounts from an accounts directory, webhook secret set (every request signed),",
    "  `tenant_id` stamped, log level warn, /readyz on a loopback port.",
    "- Baseline: the plainest correct pipeline in its own process (`bench/baseline.ts`):",
    "  `consumer.consume()` per account, an undici `Pool` POST of the raw message data with",
    "  the same concurrency, ack after a 2xx; no stamping, signing, metrics or logs.",
    "- Both: 64 requests in flight (streamhook: global and per account; 64 connections),",
    "  256 messages pulled ahead per account, consumers with ack_wait 120 s and",
    "  max_ack_pending 20000.",
    "- Receiver: its own Node process (`bench/receiver.ts`) answering 204 at once, counting",
    "  arrivals and recording publish-to-arrival latency from the publish time in the payload.",
    "- CPU per process from /proc/<pid>/stat (utime + stime over wall time), memory as its",
    "  resident set size.",
    "",
    "## Results",
    "",
    ...all.map(renderMarkdown),
    ...findings(),
    "## Reproducing and profiling",
    "",
    "```sh",
    "npm run bench                                   # everything (about a quarter of an hour)",
    "npm run bench:smoke                             # every scenario at a tiny size",
    "node --import tsx bench/run.ts --only drain --profile /tmp/prof   # one scenario, profiled",
    "node --import tsx bench/profile-summary.ts /tmp/prof/streamhook-*/*.cpuprofile",
    "```",
    "",
  ].join("\n");
  writeFileSync(BENCHMARKS_MD, await formatted(text, BENCHMARKS_MD));
  return BENCHMARKS_MD;
}
