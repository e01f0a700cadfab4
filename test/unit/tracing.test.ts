import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { sep } from "node:path";
import { describe, test } from "node:test";
import { pino } from "pino";
import { ConfigError } from "../../src/config/errors.js";
import { startTracing, tracingSettings } from "../../src/observability/tracing.js";

describe("tracingSettings", () => {
  const enabled = (env: Record<string, string>): boolean => tracingSettings(env).enabled;

  test("off when nothing asks for it", () => {
    assert.equal(enabled({}), false);
    // The SDK's variables that do not name a collector turn nothing on.
    assert.equal(
      enabled({ OTEL_SERVICE_NAME: "x", OTEL_EXPORTER_OTLP_PROTOCOL: "http/json" }),
      false,
    );
    // Empty is unset.
    assert.equal(enabled({ OTEL_EXPORTER_OTLP_ENDPOINT: " ", OTEL_TRACES_EXPORTER: "" }), false);
  });

  test("on with the otlp exporter or an endpoint", () => {
    assert.equal(enabled({ OTEL_TRACES_EXPORTER: "otlp" }), true);
    assert.equal(enabled({ OTEL_TRACES_EXPORTER: " OTLP , console" }), true);
    assert.equal(enabled({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318" }), true);
    assert.equal(
      enabled({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://collector:4318/v1/traces" }),
      true,
    );
  });

  test("an exporter list without otlp wins over an endpoint", () => {
    assert.equal(
      enabled({ OTEL_TRACES_EXPORTER: "none", OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318" }),
      false,
    );
    assert.equal(
      enabled({ OTEL_TRACES_EXPORTER: "zipkin", OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318" }),
      false,
    );
    assert.equal(enabled({ OTEL_TRACES_EXPORTER: "otlp,none" }), false);
  });

  test("OTEL_SDK_DISABLED=true turns everything off", () => {
    const on = { OTEL_TRACES_EXPORTER: "otlp", OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318" };
    assert.equal(enabled({ ...on, OTEL_SDK_DISABLED: "TRUE" }), false);
    assert.equal(enabled({ ...on, OTEL_SDK_DISABLED: "false" }), true);
    assert.equal(enabled({ ...on, OTEL_SDK_DISABLED: "yes" }), true);
  });

  test("names the exporters it does not offer", () => {
    assert.deepEqual(
      tracingSettings({ OTEL_TRACES_EXPORTER: "otlp,console,zipkin" }).unsupportedExporters,
      ["console", "zipkin"],
    );
  });

  test("protocol: http/protobuf by default, the traces variable first", () => {
    const on = { OTEL_TRACES_EXPORTER: "otlp" };
    assert.equal(tracingSettings(on).protocol, "http/protobuf");
    assert.equal(
      tracingSettings({ ...on, OTEL_EXPORTER_OTLP_PROTOCOL: "http/json" }).protocol,
      "http/json",
    );
    assert.equal(
      tracingSettings({
        ...on,
        OTEL_EXPORTER_OTLP_PROTOCOL: "grpc",
        OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: "http/json",
      }).protocol,
      "http/json",
    );
  });

  test("an unsupported protocol is a configuration error naming its variable, only when on", () => {
    assert.throws(
      () => tracingSettings({ OTEL_TRACES_EXPORTER: "otlp", OTEL_EXPORTER_OTLP_PROTOCOL: "grpc" }),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.issues[0]?.key === "OTEL_EXPORTER_OTLP_PROTOCOL" &&
        /http\/protobuf, http\/json/.test(error.message),
    );
    assert.throws(
      () =>
        tracingSettings({
          OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318",
          OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: "grpc",
        }),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.issues[0]?.key === "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
    );
    assert.equal(enabled({ OTEL_EXPORTER_OTLP_PROTOCOL: "grpc" }), false);
  });
});

// This file imports nothing of OpenTelemetry itself, and node:test runs each file in a process of
// its own. The SDK's packages are CommonJS, so whatever was loaded is in the require cache.
test("startTracing: off loads no OpenTelemetry module at all; on loads the SDK", async () => {
  const loaded = (): string[] =>
    Object.keys(createRequire(import.meta.url).cache).filter((path) =>
      path.includes(`${sep}@opentelemetry${sep}`),
    );
  const logger = pino({ level: "silent" });
  assert.equal(await startTracing({ env: {}, logger }), undefined);
  assert.equal(await startTracing({ env: { OTEL_TRACES_EXPORTER: "none" }, logger }), undefined);
  assert.deepEqual(loaded(), []);

  const tracing = await startTracing({ env: { OTEL_TRACES_EXPORTER: "otlp" }, logger });
  assert.ok(tracing);
  assert.ok(loaded().length > 0);
  // Nothing was traced, so nothing is sent; a second call is the first one's promise.
  await Promise.all([tracing.shutdown(), tracing.shutdown()]);
});
