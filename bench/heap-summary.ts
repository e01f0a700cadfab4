// Summarizes a V8 .heapsnapshot (node --heapsnapshot-signal=SIGUSR2): retained-by-nobody-in-
// particular self sizes grouped by constructor or type, largest first.
// Usage: node --import tsx bench/heap-summary.ts FILE [--top N]
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";

interface Snapshot {
  readonly snapshot: {
    readonly meta: {
      readonly node_fields: string[];
      readonly node_types: [string[], ...unknown[]];
    };
  };
  readonly nodes: number[];
  readonly strings: string[];
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { top: { type: "string", default: "30" } },
});
for (const file of positionals) {
  const heap = JSON.parse(readFileSync(file, "utf8")) as Snapshot;
  const fields = heap.snapshot.meta.node_fields;
  const types = heap.snapshot.meta.node_types[0];
  const width = fields.length;
  const [typeAt, nameAt, sizeAt] = ["type", "name", "self_size"].map((f) => fields.indexOf(f));
  const groups = new Map<string, { size: number; count: number }>();
  let total = 0;
  for (let i = 0; i < heap.nodes.length; i += width) {
    const type = types[heap.nodes[i + (typeAt ?? 0)] ?? 0] ?? "?";
    const size = heap.nodes[i + (sizeAt ?? 0)] ?? 0;
    // Object names are their constructors; strings and code are grouped by type alone.
    const name =
      type === "object" || type === "closure" || type === "native"
        ? `${type} ${heap.strings[heap.nodes[i + (nameAt ?? 0)] ?? 0] ?? "?"}`
        : type;
    const group = groups.get(name) ?? { size: 0, count: 0 };
    group.size += size;
    group.count++;
    groups.set(name, group);
    total += size;
  }
  console.log(
    `${file}: ${(total / 2 ** 20).toFixed(1)} MiB in ${heap.nodes.length / width} objects`,
  );
  for (const [name, { size, count }] of [...groups]
    .sort((a, b) => b[1].size - a[1].size)
    .slice(0, Number(values.top))) {
    console.log(
      `  ${(size / 2 ** 20).toFixed(2).padStart(8)} MiB  ${String(count).padStart(9)}  ${name}`,
    );
  }
}
