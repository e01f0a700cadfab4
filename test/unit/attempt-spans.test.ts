import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { headers as natsHeaders } from "@nats-io/transport-node";
import { SpanKind, SpanStatusCode, type Tracer } from "@opentelemetry/api";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { loadConfig } from "../../src/config/index.js";
import type { AttemptTracer } from "../../src/delivery/attempt-tracer.js";
import { prepareRequest } from "../../src/delivery/request.js";
import { createDeliveryTarget, type DeliveryTarget } from "../../src/delivery/target.js";
import { createAttemptTracer, SPAN_NAME } from "../../src/observability/attempt-spans.js";

function target(env: Record<string, string> = {}): DeliveryTarget {
  const config = loadConfig({
    env: {
      STREAMHOOK_STREAM: "EVENTS",
      STREAMHOOK_CONSUMER: "hook",
      STREAMHOOK_WEBHOOK_URL: "https://hooks.example.com/in?token=secret",
      ...env,
    },
  });
  const account = config.accounts[0];
  assert.ok(account);
  return createDeliveryTarget({
    account,
    streamCreated: "2026-01-01T00:00:00Z",
    consumerMaxDeliver: -1,
    userAgent: "streamhook/test",
  });
}

function message(trace: Record<string, string> = {}) {
  const hdrs = natsHeaders();
  for (const [name, value] of Object.entries(trace)) hdrs.set(name, value);
  return {
    data: new TextEncoder().encode('{"n":1}'),
    subject: "orders.créé",
    seq: 42,
    headers: hdrs,
    deliveryCount: 3,
    publishedMs: 1_767_225_600_123,
  } satisfies Parameters<typeof prepareRequest>[1];
}

function tracing(): { tracer: AttemptTracer; exporter: InMemorySpanExporter } {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  return { tracer: createAttemptTracer(provider.getTracer("test")), exporter };
}

/** The traceparent's trace id and parent id. */
function parts(headers: readonly string[]): { traceId: string; spanId: string; flags: string } {
  const value = headers[headers.indexOf("traceparent") + 1] ?? "";
  const [, traceId = "", spanId = "", flags = ""] = value.split("-");
  return { traceId, spanId, flags };
}

const TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT_ID = "00f067aa0ba902b7";

describe("attempt spans", () => {
  test("a dead-lettered attempt: its status, reason and error type", () => {
    const { tracer, exporter } = tracing();
    const span = tracer.start(target(), message({ traceparent: `00-${TRACE_ID}-${PARENT_ID}-01` }));
    span.end({
      outcome: { kind: "response", status: 400 },
      decision: { action: "dead_letter", reason: "terminal_status", status: 400 },
      settled: "dead_lettered",
    });
    const [finished] = exporter.getFinishedSpans();
    assert.ok(finished);
    assert.equal(finished.name, SPAN_NAME);
    assert.equal(finished.kind, SpanKind.CLIENT);
    assert.equal(finished.spanContext().traceId, TRACE_ID);
    assert.equal(finished.parentSpanContext?.spanId, PARENT_ID);
    assert.deepEqual(finished.status, { code: SpanStatusCode.ERROR, message: "400" });
    const a = finished.attributes;
    assert.equal(a["http.response.status_code"], 400);
    assert.equal(a["error.type"], "400");
    assert.equal(a["streamhook.outcome"], "dead_lettered");
    assert.equal(a["streamhook.dead_letter.reason"], "terminal_status");
    assert.equal(a["streamhook.attempt"], 3);
    // As the streamhook-subject header carries it.
    assert.equal(a["messaging.destination.name"], "orders.cr%C3%A9%C3%A9");
    assert.equal(a["server.address"], "hooks.example.com");
    assert.equal(a["server.port"], 443);
    // No tenant configured: no attribute. No URL: its query holds a token.
    assert.equal(a["streamhook.tenant"], undefined);
    assert.ok(Object.values(a).every((value) => !String(value).includes("secret")));
  });

  test("a message handed back without a request: breaker_open", () => {
    const { tracer, exporter } = tracing();
    tracer.start(target(), message()).end({
      outcome: undefined,
      decision: { action: "nak", delayMs: 5_000 },
      settled: "nacked",
    });
    const [finished] = exporter.getFinishedSpans();
    assert.equal(finished?.attributes["error.type"], "breaker_open");
    assert.equal(finished.attributes["http.response.status_code"], undefined);
    assert.equal(finished.status.code, SpanStatusCode.ERROR);
  });

  test("an invalid traceparent starts a trace of its own; tracestate follows a valid one only", () => {
    const { tracer, exporter } = tracing();
    const invalid = tracer.start(
      target(),
      message({ traceparent: `00-${"0".repeat(32)}-${PARENT_ID}-01`, tracestate: "a=b" }),
    );
    assert.deepEqual(invalid.headers.length, 2, "a traceparent alone");
    const valid = tracer.start(
      target(),
      message({ traceparent: `00-${TRACE_ID}-${PARENT_ID}-01`, tracestate: "vendor=x,other=y" }),
    );
    assert.equal(valid.headers[valid.headers.indexOf("tracestate") + 1], "vendor=x,other=y");
    for (const span of [invalid, valid]) {
      span.end({
        outcome: { kind: "response", status: 204 },
        decision: { action: "ack" },
        settled: "acked",
      });
    }
    const [root, child] = exporter.getFinishedSpans();
    assert.ok(root);
    assert.equal(root.parentSpanContext, undefined);
    assert.equal(parts(invalid.headers).spanId, root.spanContext().spanId);
    assert.equal(root.status.code, SpanStatusCode.UNSET);
    assert.equal(child?.parentSpanContext?.spanId, PARENT_ID);
    assert.equal(parts(valid.headers).spanId, child.spanContext().spanId);
  });

  test("a parent that is not sampled: nothing recorded, the request keeps the trace", () => {
    const { tracer, exporter } = tracing();
    const span = tracer.start(target(), message({ traceparent: `00-${TRACE_ID}-${PARENT_ID}-00` }));
    span.end({
      outcome: { kind: "timeout", error: "x" },
      decision: { action: "nak", delayMs: 1 },
      settled: "nacked",
    });
    assert.equal(exporter.getFinishedSpans().length, 0);
    const sent = parts(span.headers);
    assert.equal(sent.traceId, TRACE_ID);
    assert.equal(sent.flags, "00");
  });

  test("the request carries the span's headers instead of the message's", () => {
    const { tracer } = tracing();
    const msg = message({ traceparent: `00-${TRACE_ID}-${PARENT_ID}-01` });
    const span = tracer.start(target({ STREAMHOOK_TENANT_ID: "t1" }), msg);
    const req = prepareRequest(target(), msg, Date.now(), span.headers);
    assert.ok(req.ok);
    const names = req.headers.filter((_, i) => i % 2 === 0);
    assert.equal(names.filter((name) => name === "traceparent").length, 1);
    assert.equal(parts(req.headers).spanId, parts(span.headers).spanId);
    assert.notEqual(parts(req.headers).spanId, PARENT_ID);
  });

  test("a tracer that throws leaves the delivery untraced, with the message's own headers", () => {
    const broken = {
      startSpan: () => {
        throw new Error("broken tracer");
      },
    } as unknown as Tracer;
    const traceparent = `00-${TRACE_ID}-${PARENT_ID}-01`;
    const span = createAttemptTracer(broken).start(target(), message({ traceparent }));
    assert.deepEqual(span.headers, ["traceparent", traceparent]);
    span.end({ outcome: undefined, decision: { action: "ack" }, settled: "acked" });
  });
});
