import { Agent } from "undici";
import type { DeliveryOutcome } from "./outcome.js";
import { ResponseReader } from "./response-reader.js";

/** Response bodies are read up to this size and discarded: enough for a keep-alive, bounded for a hostile receiver. */
export const MAX_RESPONSE_BODY = 64 * 1024;

export interface WebhookRequest {
  readonly url: URL;
  /** undici's flat `[name, value, ...]` form. */
  readonly headers: readonly string[];
  readonly body: Buffer;
  readonly timeoutMs: number;
  /** Connections kept per origin; requests beyond it queue in the pool. */
  readonly maxConnections: number;
}

export interface WebhookClient {
  /** Posts once, never following redirects. Never throws: every failure is an outcome. */
  post(request: WebhookRequest): Promise<DeliveryOutcome>;
  /** Waits for the requests in flight, then closes every connection. */
  close(): Promise<void>;
  /**
   * Ends every request in flight at once (each becomes a network error) and every connection.
   * One call at shutdown instead of an abort listener on every request.
   */
  destroy(): Promise<void>;
}

const TIMEOUT_CODES = new Set([
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
  "UND_ERR_CONNECT_TIMEOUT",
]);

function errorCode(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" ? code : undefined;
}

function describeError(error: unknown): string {
  const code = errorCode(error);
  const message = error instanceof Error ? error.message : String(error);
  return code !== undefined && !message.includes(code) ? `${code}: ${message}` : message;
}

function classify(error: unknown): DeliveryOutcome {
  if (TIMEOUT_CODES.has(errorCode(error) ?? "")) {
    return { kind: "timeout", error: describeError(error) };
  }
  return { kind: "network_error", error: describeError(error) };
}

/**
 * Webhook HTTP client on undici's pooled, keep-alive dispatcher. One agent per connection limit
 * (in practice one), each holding a pool per origin.
 */
export function createWebhookClient(): WebhookClient {
  const agents = new Map<number, Agent>();

  function agentFor(maxConnections: number): Agent {
    let agent = agents.get(maxConnections);
    if (agent === undefined) {
      agent = new Agent({
        connections: maxConnections,
        pipelining: 1,
        keepAliveTimeout: 30_000,
      });
      agents.set(maxConnections, agent);
    }
    return agent;
  }

  return {
    post(request) {
      return new Promise((resolve) => {
        try {
          // undici's own timers, not an AbortController and a timer per request: on the hot
          // path those cost more than the HMAC. A receiver that sends headers in time and then
          // stalls is cut off by the body timeout.
          agentFor(request.maxConnections).dispatch(
            {
              origin: request.url.origin,
              path: `${request.url.pathname}${request.url.search}`,
              method: "POST",
              // undici reads the list and never changes it; its type just does not say readonly.
              headers: request.headers as string[],
              body: request.body,
              headersTimeout: request.timeoutMs,
              bodyTimeout: request.timeoutMs,
            },
            new ResponseReader(MAX_RESPONSE_BODY, resolve, classify),
          );
        } catch (error) {
          // Refused before it started, e.g. by a client already closed.
          resolve(classify(error));
        }
      });
    },
    async close() {
      const closing = [...agents.values()].map((agent) => agent.close());
      agents.clear();
      await Promise.all(closing);
    },
    async destroy() {
      const destroying = [...agents.values()].map((agent) => agent.destroy());
      agents.clear();
      await Promise.all(destroying);
    },
  };
}
