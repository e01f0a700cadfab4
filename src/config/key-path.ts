/** A path into the configuration: map keys and list indexes, as zod and yaml report them. */
export type KeyPath = readonly (string | number)[];

/** `["accounts", 0, "webhook", "url"]` becomes `accounts[0].webhook.url`, the form errors use. */
export function keyOf(path: readonly PropertyKey[]): string {
  let key = "";
  for (const part of path) {
    if (typeof part === "number") key += `[${part}]`;
    else key += key === "" ? String(part) : `.${String(part)}`;
  }
  return key === "" ? "(root)" : key;
}

/** zod paths may hold symbols in theory; configuration paths never do. */
export function plainPath(path: readonly PropertyKey[]): KeyPath {
  return path.filter((part): part is string | number => typeof part !== "symbol");
}

/** Sets a dotted key (`delivery.max_attempts`), creating or replacing the maps on the way. */
export function setPath(target: Record<string, unknown>, dotted: string, value: unknown): void {
  const parts = dotted.split(".");
  const last = parts.pop() ?? "";
  let node = target;
  for (const part of parts) {
    const next = node[part];
    if (typeof next !== "object" || next === null || Array.isArray(next)) node[part] = {};
    node = node[part] as Record<string, unknown>;
  }
  node[last] = value;
}

export function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let node = input;
  for (const part of path) {
    if (typeof node !== "object" || node === null) return undefined;
    node = (node as Record<PropertyKey, unknown>)[part];
  }
  return node;
}
