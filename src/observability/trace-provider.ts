// Loaded by tracing.ts only while tracing is on: everything the OpenTelemetry SDK brings in starts
// here.
import { setTimeout as delay } from "node:timers/promises";
import type { Logger } from "pino";
import { setGlobalErrorHandler } from "@opentelemetry/core";
import {
  defaultResource,
  detectResources,
  envDetector,
  resourceFromAttributes,
} from "@opentelemetry/resources";
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  type SpanExporter,
} from "@opentelemetry/sdk-trace-base";
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from "@opentelemetry/semantic-conventions";
import { VERSION } from "../version.js";
import { createAttemptTracer } from "./attempt-spans.js";
import { rateLimitedLog } from "./rate-limited-log.js";
import { TracingFlushError, type OtlpProtocol, type Tracing } from "./tracing.js";

export interface TraceProviderOptions {
  readonly protocol: OtlpProtocol;
  readonly logger: Logger;
  readonly flushTimeoutMs: number;
}

/** Only the chosen protocol's exporter is loaded; each reads its endpoint, headers and timeout. */
async function otlpExporter(protocol: OtlpProtocol): Promise<SpanExporter> {
  if (protocol === "http/json") {
    const { OTLPTraceExporter } = await import("@opentelemetry/exporter-trace-otlp-http");
    return new OTLPTraceExporter();
  }
  const { OTLPTraceExporter } = await import("@opentelemetry/exporter-trace-otlp-proto");
  return new OTLPTraceExporter();
}

/**
 * A tracer provider of this daemon's own, never registered globally: the spans come from the
 * delivery path alone, which hands the tracer its parents explicitly. The env-aware SDK pieces
 * read the standard variables: the batch processor `OTEL_BSP_*` (its queue is bounded, spans over
 * it are dropped), the provider `OTEL_TRACES_SAMPLER*` and the span limits, the resource
 * `OTEL_SERVICE_NAME` and `OTEL_RESOURCE_ATTRIBUTES`, which win over the name `streamhook`.
 */
export async function createTraceProvider(options: TraceProviderOptions): Promise<Tracing> {
  const { logger, flushTimeoutMs } = options;
  // The SDK reports failed exports here, once per batch; a collector that is down would
  // otherwise fill the log. Nothing of it reaches a delivery.
  setGlobalErrorHandler(
    rateLimitedLog({ logger, message: "exporting spans failed (repeats logged once a minute)" }),
  );
  const resource = defaultResource()
    .merge(
      resourceFromAttributes({
        [ATTR_SERVICE_NAME]: "streamhook",
        [ATTR_SERVICE_VERSION]: VERSION,
      }),
    )
    .merge(detectResources({ detectors: [envDetector] }));
  const provider = new BasicTracerProvider({
    resource,
    spanProcessors: [new BatchSpanProcessor(await otlpExporter(options.protocol))],
  });

  let stopping: Promise<void> | undefined;
  async function shutdown(): Promise<void> {
    const timeout = new AbortController();
    const flushed = provider.shutdown().then(
      () => "done" as const,
      (error: unknown) => {
        throw new TracingFlushError("exporting the last spans failed", { cause: error });
      },
    );
    try {
      const first = await Promise.race([
        flushed,
        delay(flushTimeoutMs, "timeout" as const, { signal: timeout.signal, ref: false }),
      ]);
      if (first === "timeout") {
        // The export may go on until the process exits; the race has already handled its end.
        throw new TracingFlushError(`the last spans were not exported within ${flushTimeoutMs} ms`);
      }
    } finally {
      timeout.abort();
    }
  }

  return {
    tracer: createAttemptTracer(provider.getTracer("streamhook", VERSION)),
    shutdown() {
      stopping ??= shutdown();
      return stopping;
    },
  };
}
