import { isMap, LineCounter, parseDocument, type Document } from "yaml";
import { ConfigError } from "./errors.js";
import { interpolate } from "./interpolate.js";

export interface YamlSource {
  /** The document as plain data, `${VAR}` references already replaced. */
  readonly value: Record<string, unknown>;
  /** `file:line` of the value at `path`, or of its nearest ancestor that the file has. */
  locate(path: readonly (string | number)[]): string | undefined;
}

/** Parses a YAML configuration or meta.yaml text; every problem is a ConfigError naming file and line. */
export function parseYamlSource(text: string, file: string, env: NodeJS.ProcessEnv): YamlSource {
  const lineCounter = new LineCounter();
  const doc: Document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const lineOf = (offset: number | undefined): string =>
    offset === undefined ? file : `${file}:${lineCounter.linePos(offset).line}`;
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map((error) => ({
        key: "(file)",
        source: lineOf(error.pos[0]),
        message: `invalid YAML: ${error.message.split("\n")[0] ?? error.code}`,
      })),
    );
  }
  const missing = interpolate(doc, env);
  if (missing.length > 0) {
    throw new ConfigError(
      missing.map((m) => ({
        key: m.path.join(".") || "(file)",
        source: lineOf(m.offset),
        message: `environment variable ${m.variable} is not set and has no default (\${${m.variable}:-default})`,
      })),
    );
  }
  const contents = doc.contents;
  if (contents !== null && !isMap(contents)) {
    throw new ConfigError([
      { key: "(file)", source: file, message: "expected a map of keys at the top level" },
    ]);
  }
  const value = (doc.toJS() ?? {}) as Record<string, unknown>;
  return {
    value,
    locate(path) {
      for (let depth = path.length; depth > 0; depth--) {
        const node = doc.getIn(path.slice(0, depth), true) as
          { range?: [number, number, number] } | undefined;
        // A key whose value is missing or null still has a pair; fall back to the parent map then.
        if (node?.range !== undefined) return lineOf(node.range[0]);
      }
      return undefined;
    },
  };
}
