// Summarizes V8 .cpuprofile files (node --cpu-prof): the functions and the files or packages
// with the most self time. Usage: node --import tsx bench/profile-summary.ts FILE... [--top N]
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
    if (!functions.includes(key) || (node.hitCount ?? 0) === 0) continue;
    const chain: string[] = [];
    for (
      let up = parent.get(node.id);
      up !== undefined && chain.length < depth;
      up = parent.get(up.id)
    ) {
      chain.push(up.callFrame.functionName || "(anonymous)");
    }
    const byChain = result.get(key) ?? new Map<string, number>();
    add(byChain, chain.join(" < "), node.hitCount ?? 0);
    result.set(key, byChain);
  }
  return result;
}

/**
 * Total (self + callees) time of every function defined under `prefix`, counted once per sample
 * even when it recurses.
 */
function inclusive(profile: Profile, prefix: string): Map<string, number> {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const totals = new Map<string, number>();
  const walk = (node: ProfileNode, open: ReadonlySet<string>): number => {
    let hits = node.hitCount ?? 0;
    const key = label(node);
    const mine = where(node.callFrame.url).startsWith(prefix) && !open.has(key);
    const inner = mine ? new Set([...open, key]) : open;
    for (const child of node.children ?? []) {
      const c = byId.get(child);
      if (c !== undefined) hits += walk(c, inner);
    }
    if (mine) add(totals, key, hits);
    return hits;
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
  },
});
const count = Number(values.top);
for (const file of positionals) {
  const profile = JSON.parse(readFileSync(file, "utf8")) as Profile;
  const byFunction = new Map<string, number>();
  const byPlace = new Map<string, number>();
  let all = 0;
  for (const node of profile.nodes) {
    const hits = node.hitCount ?? 0;
    if (hits === 0) continue;
    all += hits;
    add(byFunction, label(node), hits);
    add(byPlace, where(node.callFrame.url), hits);
  }
  const seconds = (profile.endTime - profile.startTime) / 1e6;
  console.log(`${file}: ${seconds.toFixed(1)} s profiled, ${all} samples`);
  console.log("\nSelf time by function:");
  for (const line of top(byFunction, all, count)) console.log(`  ${line}`);
  console.log("\nSelf time by file or package:");
  for (const line of top(byPlace, all, count)) console.log(`  ${line}`);
  console.log(`\nTotal time (self + callees) of functions under ${values.inclusive}:`);
  for (const line of top(inclusive(profile, values.inclusive), all, count))
    console.log(`  ${line}`);
  const busiest = [...byFunction]
    .filter(([key]) => !key.startsWith("("))
    .sort((a, b) => b[1] - a[1])
    .slice(0, Number(values.callers))
    .map(([key]) => key);
  for (const [fn, chains] of callers(profile, busiest, Number(values.depth))) {
    console.log(`\nCallers of ${fn}:`);
    for (const line of top(chains, all, 5)) console.log(`  ${line}`);
  }
}
