import type { Logger } from "pino";
import { ConfigError } from "../config/errors.js";
import type { AttemptTracer } from "../delivery/attempt-tracer.js";

export const OTLP_PROTOCOLS = ["http/protobuf", "http/json"] as const;
export type OtlpProtocol = (typeof OTLP_PROTOCOLS)[number];

/** Whether tracing is on, read from the standard `OTEL_*` variables (SPEC section 14). */
export interface TracingSettings {
  readonly enabled: boolean;
  /** How spans travel to the collector; checked only when tracing is on. */
  readonly protocol: OtlpProtocol;
  /** Names in `OTEL_TRACES_EXPORTER` other than `otlp` and `none`, which streamhook does not offer. */
  readonly unsupportedExporters: readonly string[];
}

type Env = Readonly<Record<string, string | undefined>>;

/** The OpenTelemetry configuration specification reads an empty variable as an unset one. */
function read(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === "" ? undefined : value;
}

/**
 * On when `OTEL_TRACES_EXPORTER` names `otlp`, or, when it is not set, when an OTLP endpoint is;
 * off when it says `none` or `OTEL_SDK_DISABLED` is `true`. Unlike the SDK's own default (`otlp`),
 * nothing set means off: a daemon that was never pointed at a collector sends nothing anywhere.
 * An unsupported protocol (`grpc`) is a configuration error naming the variable.
 */
export function tracingSettings(env: Env): TracingSettings {
  const exporters = (read(env, "OTEL_TRACES_EXPORTER") ?? "")
    .split(",")
    .map((name) => name.trim().toLowerCase())
    .filter((name) => name !== "");
  const unsupportedExporters = exporters.filter((name) => name !== "otlp" && name !== "none");
  const disabled =
    read(env, "OTEL_SDK_DISABLED")?.toLowerCase() === "true" || exporters.includes("none");
  const wanted =
    exporters.length > 0
      ? exporters.includes("otlp")
      : read(env, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") !== undefined ||
        read(env, "OTEL_EXPORTER_OTLP_ENDPOINT") !== undefined;
  const enabled = wanted && !disabled;

  const variable =
    read(env, "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL") === undefined
      ? "OTEL_EXPORTER_OTLP_PROTOCOL"
      : "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL";
  const given = read(env, variable) ?? "http/protobuf";
  const protocol = OTLP_PROTOCOLS.find((known) => known === given);
  if (protocol === undefined && enabled) {
    throw new ConfigError([
      {
        key: variable,
        source: `env ${variable}`,
        message: `expected one of ${OTLP_PROTOCOLS.join(", ")}`,
      },
    ]);
  }
  return { enabled, protocol: protocol ?? "http/protobuf", unsupportedExporters };
}

/** The last spans could not be exported at shutdown, or not in time. */
export class TracingFlushError extends Error {
  override readonly name = "TracingFlushError";
}

export interface Tracing {
  readonly tracer: AttemptTracer;
  /**
   * Exports the spans still buffered and stops the exporter, giving up after the flush timeout so
   * that a collector that is down never holds up an exit. Idempotent: later calls return the
   * first call's promise. Rejects with a TracingFlushError.
   */
  shutdown(): Promise<void>;
}

export interface TracingOptions {
  /**
   * Decides whether tracing is on. The SDK reads the rest of its variables (endpoint, headers,
   * batching, sampler, resource) from `process.env` itself, so this is `process.env` outside tests.
   */
  readonly env: Env;
  readonly logger: Logger;
  /** How long the shutdown waits for the last spans to be exported. Default 5 s. */
  readonly flushTimeoutMs?: number;
}

/**
 * Starts tracing when the environment asks for it, else returns undefined without loading any of
 * the OpenTelemetry packages: with tracing off, the delivery path holds no tracer at all.
 */
export async function startTracing(options: TracingOptions): Promise<Tracing | undefined> {
  const { logger } = options;
  const settings = tracingSettings(options.env);
  if (settings.unsupportedExporters.length > 0) {
    logger.warn(
      { exporters: settings.unsupportedExporters },
      "OTEL_TRACES_EXPORTER names exporters streamhook does not offer (only otlp): ignored",
    );
  }
  if (!settings.enabled) return undefined;
  const { createTraceProvider } = await import("./trace-provider.js");
  const tracing = await createTraceProvider({
    protocol: settings.protocol,
    logger,
    flushTimeoutMs: options.flushTimeoutMs ?? 5_000,
  });
  logger.info({ protocol: settings.protocol }, "tracing on: one span per delivery attempt");
  return tracing;
}
