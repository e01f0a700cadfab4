import assert from "node:assert/strict";
import { test } from "node:test";
import { pino } from "pino";
import { rateLimitedLog } from "../../src/observability/rate-limited-log.js";

test("rateLimitedLog: the first error at once, then one line a minute counting the rest", () => {
  interface Line {
    msg: string;
    suppressed: number;
    err: { message: string };
  }
  const lines: Line[] = [];
  const logger = pino({}, { write: (line: string) => void lines.push(JSON.parse(line) as Line) });
  let now = 1_000_000;
  const report = rateLimitedLog({ logger, message: "export failed", now: () => now });
  report(new Error("one"));
  for (let i = 0; i < 100; i++) {
    now += 500;
    report(new Error("again"));
  }
  assert.equal(lines.length, 1);
  assert.equal(lines[0]?.err.message, "one");
  now += 10_000;
  report(new Error("later"));
  assert.equal(lines.length, 2);
  const [, second] = lines;
  assert.ok(second);
  assert.equal(second.suppressed, 100);
  assert.equal(second.msg, "export failed");
});
