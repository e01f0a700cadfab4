import { Agent } from "undici";
import { Slots } from "../pipeline/slots.js";
import { guardedConnector, HostNotAllowedError } from "./guarded-connector.js";
import type { NetworkPolicy } from "./network-policy.js";
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

/**
 * Errors undici raises while building a request, before a byte leaves: bytes it refuses in a
 * header, a path or a body. They say nothing about the receiver and would fail every retry.
 */
const INVALID_REQUEST_CODES = new Set([
  "UND_ERR_INVALID_ARG",
  "UND_ERR_NOT_SUPPORTED",
  "ERR_INVALID_ARG_TYPE",
  "ERR_INVALID_ARG_VALUE",
  "ERR_INVALID_CHAR",
  "ERR_INVALID_HTTP_TOKEN",
]);

function classify(error: unknown): DeliveryOutcome {
  if (error instanceof HostNotAllowedError)
    return { kind: "host_not_allowed", error: error.message };
  const code = errorCode(error) ?? "";
  if (TIMEOUT_CODES.has(code)) return { kind: "timeout", error: describeError(error) };
  if (INVALID_REQUEST_CODES.has(code)) {
    return { kind: "invalid_request", error: describeError(error) };
  }
  return { kind: "network_error", error: describeError(error) };
}

/** How often attempts are checked against their deadlines: the most one can outlive it by. */
const DEADLINE_TICK_MS = 100;
/** A request in flight and when its deadline passes. */
interface Attempt {
  readonly reader: ResponseReader;
  /** `performance.now()` at which the deadline passes. */
  readonly deadline: number;
  readonly ms: number;
}

/** undici's own timers are set this much later than the deadline, so that it decides. */
const BACKSTOP_MS = 1_000;

export interface WebhookClientOptions {
  /** Checked on every connection, after DNS resolution (SPEC section 11). */
  readonly networkPolicy: NetworkPolicy;
}

/**
 * Webhook HTTP client on undici's pooled, keep-alive dispatcher. One agent per connection limit
 * (in practice one), each holding a pool per origin.
 *
 * Every attempt has one deadline, `timeoutMs` from its start, for connect, status line and body
 * together. undici's own timers cannot give that: the header timer restarts at every `1xx`
 * response and the body timer at every chunk. One sweep over the attempts in flight every
 * 100 ms does, at the cost of one array slot per request rather than a timer per request.
 *
 * Every connection goes through the network policy (see guarded-connector.ts).
 */
export function createWebhookClient(options: WebhookClientOptions): WebhookClient {
  const connect = guardedConnector(options.networkPolicy);
  const agents = new Map<number, Agent>();
  const inflight = new Slots<Attempt>();
  let sweeper: NodeJS.Timeout | undefined;

  const sweep = (): void => {
    const now = performance.now();
    inflight.forEach((attempt) => {
      if (attempt.deadline <= now) attempt.reader.expire(attempt.ms);
    });
  };

  function track(attempt: Attempt): number {
    const slot = inflight.add(attempt);
    if (sweeper === undefined) {
      sweeper = setInterval(sweep, DEADLINE_TICK_MS);
      sweeper.unref();
    }
    return slot;
  }

  function untrack(slot: number, attempt: Attempt): void {
    inflight.delete(slot, attempt);
    if (inflight.size === 0 && sweeper !== undefined) {
      clearInterval(sweeper);
      sweeper = undefined;
    }
  }

  function agentFor(maxConnections: number): Agent {
    let agent = agents.get(maxConnections);
    if (agent === undefined) {
      agent = new Agent({
        connections: maxConnections,
        pipelining: 1,
        keepAliveTimeout: 30_000,
        connect,
      });
      agents.set(maxConnections, agent);
    }
    return agent;
  }

  return {
    post(request) {
      return new Promise((resolve) => {
        const reader = new ResponseReader(
          MAX_RESPONSE_BODY,
          (outcome) => {
            untrack(slot, attempt);
            resolve(outcome);
          },
          classify,
        );
        const attempt: Attempt = {
          reader,
          deadline: performance.now() + request.timeoutMs,
          ms: request.timeoutMs,
        };
        const slot = track(attempt);
        try {
          agentFor(request.maxConnections).dispatch(
            {
              origin: request.url.origin,
              path: `${request.url.pathname}${request.url.search}`,
              method: "POST",
              // undici reads the list and never changes it; its type just does not say readonly.
              headers: request.headers as string[],
              body: request.body,
              // A backstop only: the deadline fires first and decides.
              headersTimeout: request.timeoutMs + BACKSTOP_MS,
              bodyTimeout: request.timeoutMs + BACKSTOP_MS,
            },
            reader,
          );
        } catch (error) {
          // Refused before anything left the process: invalid header bytes, a closed client.
          untrack(slot, attempt);
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
