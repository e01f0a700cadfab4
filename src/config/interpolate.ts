import { isPair, isScalar, isSeq, visit, type Document } from "yaml";
import type { KeyPath } from "./key-path.js";

// `$${` is a literal `${`, as in Docker Compose, so a value can hold one.
const REFERENCE = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

export interface MissingVariable {
  readonly variable: string;
  /** Offset of the scalar in the YAML text, for a line number. */
  readonly offset: number | undefined;
  /** Where the scalar sits in the document, e.g. `["accounts", 0, "token"]`. */
  readonly path: KeyPath;
}

/** Replaces the references in one string; reports each variable that is neither set nor defaulted. */
export function interpolateString(
  text: string,
  env: NodeJS.ProcessEnv,
  onMissing: (variable: string) => void,
): string {
  return text.replace(REFERENCE, (whole, name: string | undefined, fallback?: string) => {
    if (name === undefined) return "${";
    // Empty counts as unset, as everywhere else in the configuration: `FOO=` in an env file or a
    // compose file usually means "not configured".
    const value = env[name];
    if (value !== undefined && value !== "") return value;
    if (fallback !== undefined) return fallback;
    onMissing(name);
    return whole;
  });
}

function pathOf(ancestors: readonly unknown[], node: unknown): KeyPath {
  const path: (string | number)[] = [];
  ancestors.forEach((ancestor, i) => {
    if (isPair(ancestor) && isScalar(ancestor.key)) path.push(String(ancestor.key.value));
    else if (isSeq(ancestor)) path.push(ancestor.items.indexOf(ancestors[i + 1] ?? node));
  });
  return path;
}

/**
 * Every `${VAR}` reference in the document's string values, replaced by nothing: for the files
 * whose references are refused rather than read (an account directory's meta.yaml).
 */
export function references(doc: Document): MissingVariable[] {
  const found: MissingVariable[] = [];
  visit(doc, {
    Scalar(key, node, ancestors) {
      if (key === "key" || typeof node.value !== "string") return;
      for (const match of node.value.matchAll(REFERENCE)) {
        const variable = match[1];
        if (variable === undefined) continue;
        found.push({ variable, offset: node.range?.[0], path: pathOf(ancestors, node) });
      }
    },
  });
  return found;
}

/**
 * Replaces `${VAR}` and `${VAR:-default}` in every string value of a parsed YAML document. Working
 * on scalars rather than on the raw text keeps line numbers right, and keeps a value that contains
 * YAML syntax (a password with `: ` or `#`) from changing the document's structure.
 */
export function interpolate(doc: Document, env: NodeJS.ProcessEnv): MissingVariable[] {
  const missing: MissingVariable[] = [];
  visit(doc, {
    Scalar(key, node, ancestors) {
      // Keys are structure, not values: they stay as written.
      if (key === "key" || typeof node.value !== "string" || !node.value.includes("${")) return;
      node.value = interpolateString(node.value, env, (variable) => {
        missing.push({ variable, offset: node.range?.[0], path: pathOf(ancestors, node) });
      });
    },
  });
  return missing;
}
