import { keyOf, type KeyPath } from "./key-path.js";
import type { YamlSource } from "./yaml-source.js";

export interface SourceMap {
  /** Notes that the value at a dotted key (and everything below it) came from `source`. */
  readonly record: (key: string, source: string) => void;
  /** The recorded source of a path or of its nearest recorded ancestor: env or flag. */
  readonly explicit: (path: KeyPath) => string | undefined;
  /** Where a value came from: a recorded env or flag, else its line in the file, else `default`. */
  readonly of: (path: KeyPath) => string;
}

/**
 * Tracks where each value came from. Environment variables and flags are recorded as they are
 * applied; whatever is not recorded is looked up in the YAML document, and whatever is in neither
 * is a default.
 */
export function createSourceMap(yaml: YamlSource | undefined): SourceMap {
  const recorded = new Map<string, string>();
  const explicit = (path: KeyPath): string | undefined => {
    for (let depth = path.length; depth >= 0; depth--) {
      const found = recorded.get(keyOf(path.slice(0, depth)));
      if (found !== undefined) return found;
    }
    return undefined;
  };
  return {
    record(key, source) {
      recorded.set(key, source);
    },
    explicit,
    of(path) {
      return explicit(path) ?? yaml?.locate(path) ?? "default";
    },
  };
}
