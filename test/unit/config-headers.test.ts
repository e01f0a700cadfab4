import assert from "node:assert/strict";
import { test } from "node:test";
import {
  accountDefaults,
  ConfigError,
  loadConfig,
  parseAccountText,
} from "../../src/config/index.js";

const base = {
  STREAMHOOK_STREAM: "S",
  STREAMHOOK_CONSUMER: "C",
  STREAMHOOK_WEBHOOK_URL: "https://hooks.example.com/in",
};

function issuesFor(headers: Record<string, string>): string[] {
  try {
    loadConfig({ env: { ...base, STREAMHOOK_WEBHOOK_HEADERS: JSON.stringify(headers) } });
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.issues.map((i) => `${i.key}: ${i.message}`);
  }
  return [];
}

test("configured headers: framing and hop-by-hop names are refused, naming the key", () => {
  for (const name of [
    "host",
    "Content-Length",
    "transfer-encoding",
    "Connection",
    "upgrade",
    "te",
  ]) {
    assert.deepEqual(issuesFor({ [name]: "x" }), [
      `webhook.headers.${name}: a framing or hop-by-hop header, which the HTTP client sets itself`,
    ]);
  }
  assert.deepEqual(issuesFor({ "bad name": "x" }), [
    "webhook.headers.bad name: not a valid header name",
  ]);
});

test("configured header values: CR, LF and other control characters are refused, unquoted", () => {
  for (const value of ["a\r\nx-injected: 1", "a\nb", "nul\u0000", "bell\u0007"]) {
    const issues = issuesFor({ "x-token": value });
    assert.deepEqual(issues, [
      "webhook.headers.x-token: a header value must not contain CR, LF or other control characters",
    ]);
  }
  assert.deepEqual(issuesFor({ "x-ok": "tab\tand visible text" }), []);
});

test("an account directory's bad header makes that account invalid, with its file and line", () => {
  const globals = accountDefaults(loadConfig({ env: base }));
  const text = 'stream: S\nconsumer: C\nwebhook:\n  headers:\n    host: "evil.example"\n';
  assert.throws(
    () => parseAccountText(text, "/accounts/mallory/meta.yaml", globals),
    (error: unknown) =>
      error instanceof ConfigError &&
      error.issues.some(
        (i) =>
          i.key === "webhook.headers.host" &&
          i.source === "/accounts/mallory/meta.yaml:5" &&
          /hop-by-hop/.test(i.message),
      ),
  );
});
