import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, afterEach, before, describe, test } from "node:test";
import { headers as natsHeaders } from "@nats-io/transport-node";
import { startNatsServer, type NatsServerHandle } from "../../src/testing/nats-server.js";
import { startOtlpSink, type ExportedSpan, type OtlpSink } from "../../src/testing/otlp-sink.js";
import { startReceiver, type Receiver, type RecordedRequest } from "../../src/testing/receiver.js";
import { runCli, type CliRun } from "../helpers/cli-process.js";
import { accountFixture, tempDir, type AccountFixture } from "../helpers/fixtures.js";
import { waitUntil } from "../helpers/wait.js";

/** OTLP's SpanKind and StatusCode enums. */
const CLIENT = 3;
const STATUS_UNSET = 0;
const STATUS_ERROR = 2;

const hex = (bytes: number): string => randomBytes(bytes).toString("hex");

/** SPEC section 14: one span per delivery attempt, exported over OTLP/HTTP. */
describe("tracing", () => {
  const dir = tempDir();
  let server: NatsServerHandle;
  let receiver: Receiver;
  let sink: OtlpSink;
  let acme: AccountFixture;
  const runs: CliRun[] = [];

  before(async () => {
    server = await startNatsServer({ accounts: ["acme"] });
    // The first attempt of a message that asks for it fails, the second is accepted.
    receiver = await startReceiver((request) =>
      request.text.includes('"retry"') && request.headers["streamhook-attempt"] === "1"
        ? { status: 503 }
        : undefined,
    );
    sink = await startOtlpSink();
    acme = await accountFixture(server, "acme", dir.path, {
      stream: "EV",
      subjects: ["ev.>"],
      consumer: "hook",
    });
  });

  // A test that failed leaves its daemon running, which would take the next test's messages.
  afterEach(async () => {
    for (const run of runs.splice(0)) await run.kill();
  });

  after(async () => {
    await acme.close();
    await sink.close();
    await receiver.close();
    await server.stop();
    dir.remove();
  });

  const daemon = (otel: Record<string, string>): CliRun => {
    const run = runCli(["run"], {
      STREAMHOOK_NATS_SERVERS: server.url,
      STREAMHOOK_CREDENTIALS_FILE: acme.credsFile,
      STREAMHOOK_STREAM: "EV",
      STREAMHOOK_CONSUMER: "hook",
      STREAMHOOK_TENANT_ID: "tenant-acme",
      STREAMHOOK_WEBHOOK_URL: receiver.url,
      STREAMHOOK_DELIVERY_BACKOFF: "100ms",
      STREAMHOOK_HTTP_LISTEN: "off",
      ...otel,
    });
    runs.push(run);
    return run;
  };

  /** SIGTERM, as an orchestrator stops it; the exit code and stderr for the assertion. */
  const stop = async (run: CliRun): Promise<void> => {
    run.child.kill("SIGTERM");
    assert.equal(await run.exit, 0, run.stderr() + run.stdout());
  };

  const requestsFor = (subject: string): RecordedRequest[] =>
    receiver.requests.filter((r) => r.headers["streamhook-subject"] === subject);
  const delivered = (subject: string, count: number): Promise<unknown> =>
    receiver.waitFor(() => requestsFor(subject).length >= count, {
      timeoutMs: 20_000,
      message: `${count} of ${subject} delivered`,
    });
  /** A collector of the test's own, closed after `body`. */
  const withSink = async (
    mode: "fail" | "hang",
    body: (sink: OtlpSink) => Promise<void>,
  ): Promise<void> => {
    const own = await startOtlpSink({ mode });
    try {
      await body(own);
    } finally {
      await own.close();
    }
  };
  const spansOf = (id: string | undefined): ExportedSpan[] =>
    sink.spans.filter((s) => s.attributes["messaging.message.id"] === id);

  test("each attempt's span is a child of the message's traceparent, and names the request's", async () => {
    const run = daemon({
      OTEL_EXPORTER_OTLP_ENDPOINT: sink.endpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
      OTEL_BSP_SCHEDULE_DELAY: "50",
      OTEL_SERVICE_NAME: "hooks-under-test",
      OTEL_RESOURCE_ATTRIBUTES: "deployment.environment.name=test",
    });
    const traceId = hex(16);
    const parentId = hex(8);
    const traced = natsHeaders();
    traced.set("traceparent", `00-${traceId}-${parentId}-01`);
    traced.set("tracestate", "vendor=opaque");
    await acme.js.publish("ev.traced", JSON.stringify({ kind: "retry" }), { headers: traced });
    await acme.js.publish("ev.plain", JSON.stringify({ kind: "plain" }));

    await delivered("ev.traced", 2);
    await delivered("ev.plain", 1);
    const attempts = requestsFor("ev.traced");
    const id = attempts[0]?.headers["webhook-id"];
    const plainId = requestsFor("ev.plain")[0]?.headers["webhook-id"];
    await waitUntil(() => spansOf(id).length >= 2 && spansOf(plainId).length >= 1, {
      timeoutMs: 20_000,
      message: "three spans at the collector",
    });

    const spans = spansOf(id).sort(
      (a, b) =>
        Number(a.attributes["streamhook.attempt"]) - Number(b.attributes["streamhook.attempt"]),
    );
    assert.equal(spans.length, 2);
    for (const [index, span] of spans.entries()) {
      assert.equal(span.name, "streamhook deliver");
      assert.equal(span.kind, CLIENT);
      assert.equal(span.serviceName, "hooks-under-test");
      assert.equal(span.traceId, traceId);
      assert.equal(span.parentSpanId, parentId);
      assert.equal(span.attributes["messaging.system"], "nats");
      assert.equal(span.attributes["messaging.destination.name"], "ev.traced");
      assert.equal(span.attributes["http.request.method"], "POST");
      assert.equal(span.attributes["server.address"], "127.0.0.1");
      assert.equal(span.attributes["server.port"], receiver.port);
      assert.equal(span.attributes["streamhook.account"], "default");
      assert.equal(span.attributes["streamhook.tenant"], "tenant-acme");
      assert.equal(span.attributes["streamhook.attempt"], index + 1);
      assert.equal(span.attributes["url.full"], undefined);

      // The request of this attempt names this span as its parent, and passes tracestate on.
      const request = attempts.find((r) => r.headers["streamhook-attempt"] === String(index + 1));
      assert.equal(request?.headers.traceparent, `00-${traceId}-${span.spanId}-01`);
      assert.equal(request.headers.tracestate, "vendor=opaque");
    }
    const [failed, accepted] = spans;
    assert.equal(failed?.attributes["http.response.status_code"], 503);
    assert.equal(failed.attributes["streamhook.outcome"], "nacked");
    assert.equal(failed.attributes["error.type"], "503");
    assert.equal(failed.statusCode, STATUS_ERROR);
    assert.equal(accepted?.attributes["http.response.status_code"], 200);
    assert.equal(accepted.attributes["streamhook.outcome"], "acked");
    assert.equal(accepted.attributes["error.type"], undefined);
    assert.equal(accepted.statusCode, STATUS_UNSET);
    assert.notEqual(failed.spanId, accepted.spanId);

    // No traceparent on the message: the attempt starts a trace of its own.
    const [root] = spansOf(plainId);
    assert.ok(root);
    assert.equal(root.parentSpanId, undefined);
    assert.notEqual(root.traceId, traceId);
    const plainRequest = requestsFor("ev.plain")[0];
    assert.equal(plainRequest?.headers.traceparent, `00-${root.traceId}-${root.spanId}-01`);
    assert.equal(plainRequest.headers.tracestate, undefined);
    await stop(run);
  });

  test("http/protobuf by default", async () => {
    const before = sink.requests;
    const protobufBefore = sink.protobufRequests;
    const run = daemon({
      OTEL_EXPORTER_OTLP_ENDPOINT: sink.endpoint,
      OTEL_BSP_SCHEDULE_DELAY: "20",
    });
    await acme.js.publish("ev.protobuf", JSON.stringify({ kind: "protobuf" }));
    await delivered("ev.protobuf", 1);
    await waitUntil(() => sink.requests > before, {
      timeoutMs: 20_000,
      message: "an export request",
    });
    await stop(run);
    assert.equal(sink.protobufRequests - protobufBefore, sink.requests - before);
    assert.match(run.stdout(), /"protocol":"http\/protobuf"/);
  });

  test("the spans still buffered are exported at shutdown", async () => {
    // Batches would leave only after ten minutes: the span can arrive only by the shutdown's flush.
    const run = daemon({
      OTEL_TRACES_EXPORTER: "otlp",
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${sink.endpoint}/v1/traces`,
      OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: "http/json",
      OTEL_BSP_SCHEDULE_DELAY: "600000",
    });
    await acme.js.publish("ev.flushed", JSON.stringify({ kind: "flushed" }));
    await delivered("ev.flushed", 1);
    const id = requestsFor("ev.flushed")[0]?.headers["webhook-id"];
    assert.equal(spansOf(id).length, 0, "exported before the shutdown");
    await stop(run);
    const [span] = spansOf(id);
    assert.equal(span?.attributes["streamhook.outcome"], "acked");
    assert.equal(span.serviceName, "streamhook");
  });

  test("a failing collector is logged once a minute and never affects a delivery", async () => {
    await withSink("fail", async (failing) => {
      const run = daemon({
        OTEL_EXPORTER_OTLP_ENDPOINT: failing.endpoint,
        OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
        OTEL_BSP_SCHEDULE_DELAY: "20",
      });
      for (let i = 1; i <= 4; i++) {
        // One batch, and one failed export, per message.
        await acme.js.publish("ev.failing", JSON.stringify({ i }));
        await delivered("ev.failing", i);
        await waitUntil(() => failing.requests >= i, {
          timeoutMs: 20_000,
          message: `export ${i} refused`,
        });
      }
      await stop(run);
      const reported = run
        .stdout()
        .split("\n")
        .filter((line) => line.includes("exporting spans failed"));
      assert.equal(reported.length, 1, run.stdout());
    });
  });

  test("a collector that never answers holds up the exit by the flush timeout at most", async () => {
    await withSink("hang", async (stuck) => {
      const run = daemon({
        OTEL_EXPORTER_OTLP_ENDPOINT: stuck.endpoint,
        OTEL_BSP_SCHEDULE_DELAY: "600000",
      });
      await acme.js.publish("ev.stuck", JSON.stringify({ kind: "stuck" }));
      await delivered("ev.stuck", 1);
      const started = Date.now();
      run.child.kill("SIGTERM");
      // The flush gives up after 5 s, says so, and the exit stays a clean one.
      assert.equal(await run.exit, 0, run.stderr());
      const took = Date.now() - started;
      assert.ok(took < 15_000, `exited ${took} ms after SIGTERM`);
      assert.equal(stuck.requests, 1);
      assert.match(run.stdout(), /the last spans were not exported/);
      assert.match(run.stdout(), /not exported within 5000 ms/);
    });
  });

  test("off: no OTEL variables, or an exporter of none, sends nothing to a collector", async () => {
    const before = sink.requests;
    const settings: Record<string, string>[] = [
      {},
      {
        OTEL_TRACES_EXPORTER: "none",
        OTEL_EXPORTER_OTLP_ENDPOINT: sink.endpoint,
        OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
        OTEL_BSP_SCHEDULE_DELAY: "50",
      },
      {
        OTEL_SDK_DISABLED: "true",
        OTEL_EXPORTER_OTLP_ENDPOINT: sink.endpoint,
        OTEL_BSP_SCHEDULE_DELAY: "50",
      },
    ];
    const traceparent = `00-${hex(16)}-${hex(8)}-01`;
    for (const [index, otel] of settings.entries()) {
      // One at a time, so that each of them delivers its own messages.
      const run = daemon(otel);
      const subject = `ev.off${index}`;
      const traced = natsHeaders();
      traced.set("traceparent", traceparent);
      for (let i = 0; i < 5; i++) {
        await acme.js.publish(subject, JSON.stringify({ i }), { headers: traced });
      }
      await delivered(subject, 5);
      await stop(run);
      assert.doesNotMatch(run.stdout(), /tracing on/);
      // The message's own traceparent is passed on untouched, as before tracing existed.
      assert.ok(requestsFor(subject).every((r) => r.headers.traceparent === traceparent));
    }
    assert.equal(sink.requests, before);
  });
});
