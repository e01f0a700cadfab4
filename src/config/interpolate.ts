import { isScalar, visit, type Document } from "yaml";

const REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

export interface MissingVariable {
  readonly variable: string;
  /** Offset of the scalar in the YAML text, for a line number. */
  readonly offset: number | undefined;
  /** Path of the scalar within the document. */
  readonly path: (string | number)[];
}

/**
 * Replaces `${VAR}` and `${VAR:-default}` in every string scalar of a parsed YAML document.
 * Working on scalars rather than on the raw text keeps line numbers right and keeps a value
 * containing YAML syntax from changing the document's structure.
 */
export function interpolate(doc: Document, env: NodeJS.ProcessEnv): MissingVariable[] {
  const missing: MissingVariable[] = [];
  visit(doc, {
    Scalar(_key, node, ancestors) {
      if (typeof node.value !== "string" || !node.value.includes("${")) return;
      node.value = node.value.replace(REFERENCE, (whole, name: string, fallback?: string) => {
        const value = env[name];
        if (value !== undefined && value !== "") return value;
        if (fallback !== undefined) return fallback;
        const path: (string | number)[] = [];
        for (const ancestor of ancestors) {
          if (typeof ancestor === "object" && "key" in ancestor && isScalar(ancestor.key)) {
            path.push(String(ancestor.key.value));
          }
        }
        missing.push({ variable: name, offset: node.range?.[0], path });
        return whole;
      });
    },
  });
  return missing;
}
