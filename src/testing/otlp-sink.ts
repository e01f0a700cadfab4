// A local OTLP/HTTP trace collector for tests and the benchmark: accepts POST /v1/traces, decodes
// what the JSON exporter sends and counts what the protobuf one sends. No test-framework imports.
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { Socket } from "node:net";

/** One span as the OTLP/JSON exporter encodes it, with its service's name. */
export interface ExportedSpan {
  readonly serviceName: string | undefined;
  readonly traceId: string;
  readonly spanId: string;
  /** Undefined for a trace's root. */
  readonly parentSpanId: string | undefined;
  readonly name: string;
  /** OTLP's enum: 3 is CLIENT, 4 PRODUCER. */
  readonly kind: number;
  readonly attributes: Readonly<Record<string, string | number | boolean | undefined>>;
  /** OTLP's enum: 0 unset, 1 ok, 2 error. */
  readonly statusCode: number;
}

export interface OtlpSink {
  /** The endpoint's base, for OTEL_EXPORTER_OTLP_ENDPOINT: http://127.0.0.1:PORT */
  readonly endpoint: string;
  /** Every export request so far, of either protocol. */
  readonly requests: number;
  /** The export requests in protobuf, which are counted but not decoded. */
  readonly protobufRequests: number;
  /** The spans of the JSON requests so far. */
  readonly spans: readonly ExportedSpan[];
  /** Stops listening and drops every connection. */
  close(): Promise<void>;
}

export interface OtlpSinkOptions {
  /**
   * `accept` (the default) answers 200 and keeps the spans; `fail` answers 500, which exporters
   * do not retry; `hang` reads the request and never answers, as a collector that is stuck.
   */
  readonly mode?: "accept" | "fail" | "hang";
}

/** Export requests are small batches; a larger one is refused rather than held. */
const MAX_BODY = 16 * 1024 * 1024;

interface AnyValue {
  readonly stringValue?: string;
  readonly intValue?: number | string;
  readonly doubleValue?: number;
  readonly boolValue?: boolean;
}
interface KeyValue {
  readonly key: string;
  readonly value?: AnyValue;
}
interface JsonSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId?: string;
  readonly name: string;
  readonly kind: number;
  readonly attributes?: readonly KeyValue[];
  readonly status?: { readonly code?: number };
}
interface JsonRequest {
  readonly resourceSpans?: readonly {
    readonly resource?: { readonly attributes?: readonly KeyValue[] };
    readonly scopeSpans?: readonly { readonly spans?: readonly JsonSpan[] }[];
  }[];
}

function valueOf(value: AnyValue | undefined): string | number | boolean | undefined {
  if (value === undefined) return undefined;
  if (value.intValue !== undefined) return Number(value.intValue);
  return value.stringValue ?? value.doubleValue ?? value.boolValue;
}

function attributesOf(list: readonly KeyValue[] | undefined): ExportedSpan["attributes"] {
  return Object.fromEntries((list ?? []).map((kv) => [kv.key, valueOf(kv.value)]));
}

function decode(body: Buffer): ExportedSpan[] {
  const request = JSON.parse(body.toString("utf8")) as JsonRequest;
  return (request.resourceSpans ?? []).flatMap((resourceSpans) => {
    const service = attributesOf(resourceSpans.resource?.attributes)["service.name"];
    return (resourceSpans.scopeSpans ?? []).flatMap((scope) =>
      (scope.spans ?? []).map((span) => ({
        serviceName: typeof service === "string" ? service : undefined,
        traceId: span.traceId,
        spanId: span.spanId,
        parentSpanId: span.parentSpanId === "" ? undefined : span.parentSpanId,
        name: span.name,
        kind: span.kind,
        attributes: attributesOf(span.attributes),
        statusCode: span.status?.code ?? 0,
      })),
    );
  });
}

function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY) chunks.push(chunk);
    });
    req.once("end", () => {
      resolve(size <= MAX_BODY ? Buffer.concat(chunks) : undefined);
    });
    req.once("error", () => {
      resolve(undefined);
    });
  });
}

export async function startOtlpSink(options: OtlpSinkOptions = {}): Promise<OtlpSink> {
  const mode = options.mode ?? "accept";
  const spans: ExportedSpan[] = [];
  let requests = 0;
  let protobufRequests = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    void readBody(req).then((body) => {
      if (req.method !== "POST" || req.url !== "/v1/traces" || body === undefined) {
        res.writeHead(body === undefined ? 413 : 404).end();
        return;
      }
      requests++;
      if (mode === "hang") return;
      if (mode === "fail") {
        res.writeHead(500).end();
        return;
      }
      const type = req.headers["content-type"] ?? "";
      const json = type.startsWith("application/json");
      if (type.startsWith("application/x-protobuf")) protobufRequests++;
      try {
        if (json) spans.push(...decode(body));
      } catch {
        res.writeHead(400).end();
        return;
      }
      // An empty ExportTraceServiceResponse: everything accepted.
      if (json) res.writeHead(200, { "content-type": "application/json" }).end("{}");
      else res.writeHead(200, { "content-type": "application/x-protobuf" }).end();
    });
  });
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    get requests() {
      return requests;
    },
    get protobufRequests() {
      return protobufRequests;
    },
    spans,
    async close() {
      const closing = new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      });
      for (const socket of sockets) socket.destroy();
      await closing;
    },
  };
}
