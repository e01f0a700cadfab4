// Loaded only while tracing is on (see tracing.ts): it imports the OpenTelemetry API.
import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Exception,
  type Span,
  type TextMapGetter,
  type TextMapSetter,
  type Tracer,
} from "@opentelemetry/api";
import { globalErrorHandler, W3CTraceContextPropagator } from "@opentelemetry/core";
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
} from "@opentelemetry/semantic-conventions";
import { bareHost } from "../delivery/allowed-hosts.js";
import type { AttemptReport, AttemptSpan, AttemptTracer } from "../delivery/attempt-tracer.js";
import { subjectHeader, traceHeaders } from "../delivery/header-values.js";
import type { DeliveryTarget } from "../delivery/target.js";
import { webhookId } from "../delivery/webhook-id.js";

export const SPAN_NAME = "streamhook deliver";

// The messaging attributes are still incubating: copied here, as the semantic-conventions package
// asks, rather than imported from its unstable entry point.
const ATTR_MESSAGING_SYSTEM = "messaging.system";
const ATTR_MESSAGING_DESTINATION_NAME = "messaging.destination.name";
const ATTR_MESSAGING_MESSAGE_ID = "messaging.message.id";

export const ATTR_ACCOUNT = "streamhook.account";
export const ATTR_TENANT = "streamhook.tenant";
export const ATTR_ATTEMPT = "streamhook.attempt";
/** What settlement did: `acked`, `nacked` or `dead_lettered`, the words of the message metrics. */
export const ATTR_OUTCOME = "streamhook.outcome";
export const ATTR_DEAD_LETTER_REASON = "streamhook.dead_letter.reason";

const propagator = new W3CTraceContextPropagator();

/** undici's flat `[name, value, ...]` list, which traceHeaders() returns and a request carries. */
const getter: TextMapGetter<readonly string[]> = {
  keys: (carrier) => carrier.filter((_, i) => i % 2 === 0),
  get: (carrier, key) => {
    for (let i = 0; i < carrier.length; i += 2) if (carrier[i] === key) return carrier[i + 1];
    return undefined;
  },
};
const setter: TextMapSetter<string[]> = {
  set: (carrier, key, value) => {
    carrier.push(key, value);
  },
};

function defaultPort(url: URL): number {
  if (url.port !== "") return Number(url.port);
  return url.protocol === "https:" ? 443 : 80;
}

/**
 * Why an attempt that was not acked failed, in the words of the HTTP conventions: the status code
 * for a response, else the outcome's kind (`timeout`, `network_error`, `malformed_payload`...).
 */
function errorType(report: AttemptReport): string {
  const { outcome } = report;
  if (report.settled === undefined) return "settle_failed";
  if (outcome === undefined) return "breaker_open";
  return outcome.kind === "response" ? String(outcome.status) : outcome.kind;
}

/** Records how the attempt was decided, and ends its span. */
function finish(span: Span, report: AttemptReport): void {
  const { outcome, decision } = report;
  const settled = report.settled ?? "nacked";
  if (outcome?.kind === "response") {
    span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, outcome.status);
  }
  span.setAttribute(ATTR_OUTCOME, settled);
  if (decision.action === "dead_letter") {
    span.setAttribute(ATTR_DEAD_LETTER_REASON, decision.reason);
  }
  if (settled !== "acked") {
    const type = errorType(report);
    span.setAttribute(ATTR_ERROR_TYPE, type);
    span.setStatus({ code: SpanStatusCode.ERROR, message: type });
  }
  span.end();
}

/**
 * The OpenTelemetry API promises never to throw. Should it ever, the delivery goes on untraced
 * (with the message's own trace headers) and the error is logged with the export failures: a
 * delivery must never fail because of its span.
 */
function guarded<T>(traced: () => T, untraced: () => T): T {
  try {
    return traced();
  } catch (error) {
    globalErrorHandler(error as Exception);
    return untraced();
  }
}

/**
 * One span per delivery attempt, of kind CLIENT: the span covers one outgoing HTTP request whose
 * answer decides it, and the receiver's SERVER span becomes its child, as the HTTP conventions
 * pair them. PRODUCER would say it hands a message to a broker, which a webhook is not; NATS,
 * the broker here, is where the message came from, and its publisher's span is the parent.
 *
 * The parent is the message's `traceparent` (with its `tracestate`) when it passes the same W3C
 * grammar check as the header that is passed on, else the span is a trace's root. No context
 * manager is installed: the parent is handed to the tracer explicitly.
 */
export function createAttemptTracer(tracer: Tracer): AttemptTracer {
  /** The attributes that are the same for every attempt of an account session. */
  const perTarget = new WeakMap<DeliveryTarget, Attributes>();
  const targetAttributes = (target: DeliveryTarget): Attributes => {
    let attributes = perTarget.get(target);
    if (attributes === undefined) {
      attributes = {
        [ATTR_MESSAGING_SYSTEM]: "nats",
        [ATTR_HTTP_REQUEST_METHOD]: "POST",
        // Never the full URL: its path or query may hold a receiver's token.
        [ATTR_SERVER_ADDRESS]: bareHost(target.url.hostname),
        [ATTR_SERVER_PORT]: defaultPort(target.url),
        [ATTR_ACCOUNT]: target.account,
        ...(target.tenantId !== undefined && { [ATTR_TENANT]: target.tenantId }),
      };
      perTarget.set(target, attributes);
    }
    return attributes;
  };

  function start(...[target, msg]: Parameters<AttemptTracer["start"]>): AttemptSpan {
    const incoming = traceHeaders(msg.headers);
    const parent =
      incoming.length === 0 ? ROOT_CONTEXT : propagator.extract(ROOT_CONTEXT, incoming, getter);
    const span = tracer.startSpan(
      SPAN_NAME,
      {
        kind: SpanKind.CLIENT,
        attributes: {
          ...targetAttributes(target),
          [ATTR_MESSAGING_DESTINATION_NAME]: subjectHeader(msg.subject),
          [ATTR_MESSAGING_MESSAGE_ID]: webhookId(target.idPrefix, msg.seq),
          [ATTR_ATTEMPT]: msg.deliveryCount,
        },
      },
      parent,
    );
    const headers: string[] = [];
    propagator.inject(trace.setSpan(ROOT_CONTEXT, span), headers, setter);
    return {
      headers,
      end(report) {
        guarded(
          () => {
            finish(span, report);
          },
          () => undefined,
        );
      },
    };
  }

  return {
    start(target, msg) {
      return guarded(
        () => start(target, msg),
        () => ({ headers: traceHeaders(msg.headers), end: () => undefined }),
      );
    },
  };
}
