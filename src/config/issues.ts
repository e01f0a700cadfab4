import type { z } from "zod";
import type { ConfigIssue } from "./errors.js";
import { keyOf, plainPath, valueAt, type KeyPath } from "./key-path.js";
import { GLOBAL_ONLY_WEBHOOK_KEYS } from "./schema.js";

/** Where the value at a path came from: `file:line`, `env NAME`, `flag --name` or `default`. */
export type SourceOf = (path: KeyPath) => string;

/** An account's `webhook` object: the global one has every key, so none is unknown there. */
const isAccountWebhook = (path: readonly (string | number)[]): boolean =>
  path[path.length - 1] === "webhook";

/**
 * Turns zod's issues into configuration issues: one per key, each with its source. zod's own
 * messages are kept where they are clear and never quote the input, so no secret leaks into them.
 */
export function issuesFromZod(
  error: z.ZodError,
  input: unknown,
  sourceOf: SourceOf,
  prefix: KeyPath = [],
): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  for (const issue of error.issues) {
    const path = plainPath(issue.path);
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) {
        issues.push({
          key: keyOf([...prefix, ...path, key]),
          source: sourceOf([...path, key]),
          message:
            isAccountWebhook(path) && GLOBAL_ONLY_WEBHOOK_KEYS.some((k) => k === key)
              ? "global only: an account cannot widen where webhooks may go"
              : "unknown key",
        });
      }
      continue;
    }
    const missing = issue.code === "invalid_type" && valueAt(input, path) === undefined;
    // A map's key that its own schema refused (a header name): say what the key's schema said.
    const keyMessage = issue.code === "invalid_key" ? issue.issues[0]?.message : undefined;
    issues.push({
      key: keyOf([...prefix, ...path]),
      source: sourceOf(path),
      message: missing ? "required" : (keyMessage ?? issue.message),
    });
  }
  return issues;
}

const LINE = /:(\d+)$/;

/**
 * Orders issues as a person reads the file: those with a line by line, then the rest (environment,
 * flags, defaults) as found. The sort is stable, so issues on one line keep their order.
 */
export function inReadingOrder(issues: readonly ConfigIssue[]): ConfigIssue[] {
  const lineOf = (issue: ConfigIssue): number => {
    const match = LINE.exec(issue.source);
    return match === null ? Number.POSITIVE_INFINITY : Number(match[1]);
  };
  return [...issues].sort((a, b) => {
    const [x, y] = [lineOf(a), lineOf(b)];
    return x === y ? 0 : x < y ? -1 : 1;
  });
}
