// Re-renders the tables and BENCHMARKS.md from a results file already measured, e.g. after a
// change to the report's layout: `node --import tsx bench/render.ts [bench/results.json]`.
import { readFileSync } from "node:fs";
import { RESULTS_JSON, writeBenchmarks } from "./output.js";
import { tables } from "./report.js";
import type { Results } from "./results.js";
import { renderText } from "./table.js";

const path = process.argv[2] ?? RESULTS_JSON;
const results = JSON.parse(readFileSync(path, "utf8")) as Results;
const all = tables(results);
for (const table of all) console.log(renderText(table));
if (results.meta.mode === "full") console.log(`wrote ${await writeBenchmarks(results, all)}`);
else console.log(`${path} is a ${results.meta.mode} run: BENCHMARKS.md left as it was`);
