import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document } from "yaml";
import { ConfigError } from "./errors.js";
import { interpolate, references } from "./interpolate.js";
import { keyOf } from "./key-path.js";

export interface YamlSource {
  /**
   * The document as plain data, `${VAR}` references already replaced. A key whose value is empty
   * (`dlq:` with every child commented out) is left out, so it means "not set" rather than "null".
   */
  readonly value: Record<string, unknown>;
  /** `file:line` of the key at `path`, or of its nearest ancestor that the file has. */
  locate(path: readonly PropertyKey[]): string | undefined;
}

function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutNulls);
  if (typeof value !== "object" || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    if (child !== null) out[key] = withoutNulls(child);
  }
  return out;
}

/** Offset of the key at `path` (or of the list item), or of the deepest ancestor found. */
function offsetOf(doc: Document, path: readonly PropertyKey[]): number | undefined {
  let node: unknown = doc.contents;
  let offset: number | undefined;
  for (const part of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(part));
      if (pair === undefined) break;
      if (isScalar(pair.key)) offset = pair.key.range?.[0] ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof part === "number") {
      const item: unknown = node.items[part];
      if (typeof item !== "object" || item === null || !("range" in item)) break;
      offset = (item as { range?: [number, number, number] }).range?.[0] ?? offset;
      node = item;
    } else break;
  }
  return offset;
}

/**
 * Where `${VAR}` references are replaced from: the environment for the operator's configuration;
 * `"refused"` for an account directory's meta.yaml, where a reference is an error, so that a file
 * a tenant's tooling writes can never read the daemon's environment.
 */
export type Interpolation = { readonly env: NodeJS.ProcessEnv } | "refused";

/**
 * Parses a YAML configuration or meta.yaml text and interpolates it; every problem is a
 * ConfigError naming the file and line.
 */
export function parseYamlSource(
  text: string,
  file: string,
  interpolation: Interpolation,
): YamlSource {
  const lineCounter = new LineCounter();
  const doc: Document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const lineOf = (offset: number | undefined): string =>
    offset === undefined ? file : `${file}:${lineCounter.linePos(offset).line}`;
  const [first] = doc.errors;
  if (first !== undefined) {
    // One error: after the first, yaml mostly reports the same mistake again. Only the message's
    // first line, with quoted source text removed, as that text may be a secret.
    const message = (first.message.split("\n")[0] ?? first.code).replace(/: ".*"$/, "");
    throw new ConfigError([
      { key: "(file)", source: lineOf(first.pos[0]), message: `invalid YAML: ${message}` },
    ]);
  }
  if (interpolation === "refused") {
    const found = references(doc);
    if (found.length > 0) {
      throw new ConfigError(
        found.map((m) => ({
          key: m.path.length === 0 ? "(file)" : keyOf(m.path),
          source: lineOf(m.offset),
          message: `\${${m.variable}} is not replaced here: an account directory's files never read the daemon's environment (write $\${ for a literal \${)`,
        })),
      );
    }
  }
  // With every reference refused above, this only turns `$${` into a literal `${`.
  const missing = interpolate(doc, interpolation === "refused" ? {} : interpolation.env);
  if (missing.length > 0) {
    throw new ConfigError(
      missing.map((m) => ({
        key: m.path.length === 0 ? "(file)" : keyOf(m.path),
        source: lineOf(m.offset),
        message: `environment variable ${m.variable} is not set and has no default (write \${${m.variable}:-default} for one)`,
      })),
    );
  }
  const contents = doc.contents;
  if (contents !== null && !isMap(contents)) {
    throw new ConfigError([
      {
        key: "(file)",
        source: lineOf(contents.range?.[0]),
        message: "expected a map of keys at the top level",
      },
    ]);
  }
  let data: unknown;
  try {
    data = doc.toJS();
  } catch (error) {
    // An alias to an anchor that does not exist, or an alias-bomb beyond yaml's limit.
    const message = error instanceof Error ? error.message.split("\n")[0] : String(error);
    throw new ConfigError([{ key: "(file)", source: file, message: `invalid YAML: ${message}` }], {
      cause: error,
    });
  }
  const value = (withoutNulls(data) ?? {}) as Record<string, unknown>;
  return {
    value,
    locate(path) {
      const found = offsetOf(doc, path);
      return found === undefined ? undefined : lineOf(found);
    },
  };
}
