// Summarizes V8 .cpuprofile files (node --cpu-prof): the functions and the files or packages
// with the most self time, the busiest functions' callers, and total time by function.
// Usage: node --import tsx bench/profile-summary.ts FILE... [--top N] [--from=S] [--to=S]
// (--from/--to: seconds after the profile's start, negative for before its end, to look at one
// phase only, e.g. --from=-30 for an idle tail after a busy start-up).
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";

interface ProfileNode {
  readonly id: number;
  readonly hitCount?: number;
  readonly children?: readonly number[];
  readonly callFrame: {
    readonly functionName: string;
    readonly url: string;
    readonly lineNumber: number;
  };
}

interface Profile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples?: readonly number[];
  readonly timeDeltas?: readonly number[];
}

/** Samples per node, counting only those taken between `from` and `to` (seconds, see usage). */
type Hits = ReadonlyMap<number, number>;

function hitsBetween(profile: Profile, from: number, to: number): Hits {
  const length = (profile.endTime - profile.startTime) / 1e6;
  const start = (from < 0 ? length + from : from) * 1e6;
  const end = (to <= 0 ? length + to : to) * 1e6;
  const hits = new Map<number, number>();
  let at = 0;
  const deltas = profile.timeDeltas ?? [];
  (profile.samples ?? []).forEach((id, i) => {
    at += deltas[i] ?? 0;
    if (at >= start && at <= end) hits.set(id, (hits.get(id) ?? 0) + 1);
  });
  return hits;
}

/** node_modules/<package> or the path under the repository, else the URL itself. */
function where(url: string): string {
  const modules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (modules?.[1] !== undefined) return modules[1];
  const repo = /\/(dist|src|bench)\/(.*)$/.exec(url);
  if (repo?.[1] !== undefined) return `${repo[1]}/${repo[2] ?? ""}`;
  return url === "" ? "(native/V8)" : url.replace(/^file:\/\//, "");
}

const label = (node: ProfileNode): string => {
  const { functionName, url, lineNumber } = node.callFrame;
  return `${functionName || "(anonymous)"}  ${where(url)}:${lineNumber + 1}`;
};

/** Self time of the busiest functions split by their callers, a few frames up. */
function callers(
  profile: Profile,
  hits: Hits,
  functions: readonly string[],
  depth: number,
): Map<string, Map<string, number>> {
  const parent = new Map<number, ProfileNode>();
  for (const node of profile.nodes) {
    for (const child of node.children ?? []) parent.set(child, node);
  }
  const result = new Map<string, Map<string, number>>();
  for (const node of profile.nodes) {
    const key = label(node);
    const own = hits.get(node.id) ?? 0;
    if (!functions.includes(key) || own === 0) continue;
    const chain: string[] = [];
    for (
      let up = parent.get(node.id);
      up !== undefined && chain.length < depth;
      up = parent.get(up.id)
    ) {
      chain.push(up.callFrame.functionName || "(anonymous)");
    }
    const byChain = result.get(key) ?? new Map<string, number>();
    add(byChain, chain.join(" < "), own);
    result.set(key, byChain);
  }
  return result;
}

/**
 * Total (self + callees) time of every function defined under `prefix`, counted once per sample
 * even when it recurses.
 */
function inclusive(profile: Profile, hits: Hits, prefix: string): Map<string, number> {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const totals = new Map<string, number>();
  const walk = (node: ProfileNode, open: ReadonlySet<string>): number => {
    let total = hits.get(node.id) ?? 0;
    const key = label(node);
    const mine = where(node.callFrame.url).startsWith(prefix) && !open.has(key);
    const inner = mine ? new Set([...open, key]) : open;
    for (const child of node.children ?? []) {
      const c = byId.get(child);
      if (c !== undefined) total += walk(c, inner);
    }
    if (mine) add(totals, key, total);
    return total;
  };
  const root = profile.nodes[0];
  if (root !== undefined) walk(root, new Set());
  return totals;
}

function add(totals: Map<string, number>, key: string, value: number): void {
  totals.set(key, (totals.get(key) ?? 0) + value);
}

function top(totals: Map<string, number>, all: number, count: number): string[] {
  return [...totals]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([key, hits]) => `${((100 * hits) / all).toFixed(1).padStart(5)}%  ${key}`);
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    top: { type: "string", default: "25" },
    callers: { type: "string", default: "5" },
    depth: { type: "string", default: "6" },
    inclusive: { type: "string", default: "dist/" },
    from: { type: "string", default: "0" },
    to: { type: "string", default: "0" },
  },
});
const count = Number(values.top);
for (const file of positionals) {
  const profile = JSON.parse(readFileSync(file, "utf8")) as Profile;
  const hits = hitsBetween(profile, Number(values.from), Number(values.to));
  const byFunction = new Map<string, number>();
  const byPlace = new Map<string, number>();
  let all = 0;
  for (const node of profile.nodes) {
    const own = hits.get(node.id) ?? 0;
    if (own === 0) continue;
    all += own;
    add(byFunction, label(node), own);
    add(byPlace, where(node.callFrame.url), own);
  }
  const seconds = (profile.endTime - profile.startTime) / 1e6;
  console.log(`${file}: ${seconds.toFixed(1)} s profiled, ${all} samples in the window`);
  console.log("\nSelf time by function:");
  for (const line of top(byFunction, all, count)) console.log(`  ${line}`);
  console.log("\nSelf time by file or package:");
  for (const line of top(byPlace, all, count)) console.log(`  ${line}`);
  console.log(`\nTotal time (self + callees) of functions under ${values.inclusive}:`);
  for (const line of top(inclusive(profile, hits, values.inclusive), all, count))
    console.log(`  ${line}`);
  const busiest = [...byFunction]
    .filter(([key]) => !key.startsWith("("))
    .sort((a, b) => b[1] - a[1])
    .slice(0, Number(values.callers))
    .map(([key]) => key);
  for (const [fn, chains] of callers(profile, hits, busiest, Number(values.depth))) {
    console.log(`\nCallers of ${fn}:`);
    for (const line of top(chains, all, 5)) console.log(`  ${line}`);
  }
}
