import type { AccountConfig } from "../config/types.js";
import { hostMatcher } from "./allowed-hosts.js";
import { tenantStamp } from "./body.js";
import type { DecisionPolicy } from "./decision.js";
import { createSigner, type Signer } from "./signing.js";
import { webhookIdPrefix } from "./webhook-id.js";

/**
 * Everything the delivery worker needs to know about the account a message came from, computed
 * once when the account starts rather than per message.
 */
export interface DeliveryTarget {
  readonly account: string;
  readonly tenantId: string | undefined;
  readonly stream: string;
  /** The stream's creation time: part of every webhook-id, see webhookIdPrefix(). */
  readonly streamCreated: string;
  /** What every webhook-id of this account starts with. */
  readonly idPrefix: string;
  readonly url: URL;
  /** `url.origin`, computed once: the breaker and the pool are keyed by it on every delivery. */
  readonly origin: string;
  readonly hostAllowed: boolean;
  readonly body: "payload" | "envelope";
  readonly tenantField: string;
  /** The tenant member stamped into payloads, see buildBody(). */
  readonly tenantStamp: Buffer | undefined;
  readonly timeoutMs: number;
  readonly maxConnections: number;
  readonly signer: Signer | undefined;
  /**
   * Headers that are the same for every request of this account, as undici's flat
   * `[name, value, ...]` list: a request extends it far faster than an object can be copied.
   * It holds none of the per-request header names.
   */
  readonly staticHeaderList: readonly string[];
  readonly policy: DecisionPolicy;
  readonly accountConcurrency: number;
  /** `webhook.rate_limit`: requests per second, 0 for none. */
  readonly rateLimit: number;
  /** Larger messages are dead-lettered as `too_large` without an attempt. */
  readonly maxMessageBytes: number;
  readonly dlqSubject: string | undefined;
}

/** Set by `prepareRequest` for every request; a configured header never replaces one of them. */
export const PER_REQUEST_HEADERS: ReadonlySet<string> = new Set([
  "webhook-id",
  "webhook-timestamp",
  "webhook-signature",
  "streamhook-subject",
  "streamhook-sequence",
  "streamhook-attempt",
  "traceparent",
  "tracestate",
]);

export interface TargetInputs {
  readonly account: AccountConfig;
  readonly streamCreated: string;
  readonly consumerMaxDeliver: number;
  readonly userAgent: string;
}

/** Renders the `{account}`, `{tenant}` and `{stream}` placeholders of a DLQ subject template. */
export function renderDlqSubject(template: string, account: AccountConfig): string {
  return template
    .replaceAll("{account}", account.name)
    .replaceAll("{tenant}", account.tenantId ?? account.name)
    .replaceAll("{stream}", account.stream);
}

export function createDeliveryTarget(inputs: TargetInputs): DeliveryTarget {
  const { account } = inputs;
  const { webhook, delivery } = account;
  const parsed = new URL(webhook.url);
  const staticHeaders: Record<string, string> = {};
  // Configured headers first, so that they can never replace the protocol headers set below.
  for (const [name, value] of Object.entries(webhook.headers))
    staticHeaders[name.toLowerCase()] = value;
  if (parsed.username !== "" || parsed.password !== "") {
    const user = decodeURIComponent(parsed.username);
    const password = decodeURIComponent(parsed.password);
    staticHeaders.authorization = `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
    parsed.username = "";
    parsed.password = "";
  }
  staticHeaders["content-type"] = "application/json";
  staticHeaders["user-agent"] = inputs.userAgent;
  staticHeaders["streamhook-account"] = account.name;
  staticHeaders["streamhook-stream"] = account.stream;
  if (account.tenantId !== undefined) staticHeaders["streamhook-tenant"] = account.tenantId;

  const staticHeaderList = Object.entries(staticHeaders)
    .filter(([name]) => !PER_REQUEST_HEADERS.has(name))
    .flat();

  return {
    account: account.name,
    tenantId: account.tenantId,
    stream: account.stream,
    streamCreated: inputs.streamCreated,
    idPrefix: webhookIdPrefix(account.name, account.stream, inputs.streamCreated),
    url: parsed,
    origin: parsed.origin,
    hostAllowed: hostMatcher(webhook.allowedHosts)(parsed.hostname),
    body: webhook.body,
    tenantField: webhook.tenantField,
    tenantStamp: tenantStamp(webhook.tenantField, account.tenantId),
    timeoutMs: webhook.timeout,
    maxConnections: webhook.maxConnections,
    signer:
      webhook.secret === undefined
        ? undefined
        : createSigner(webhook.secret, webhook.previousSecret),
    staticHeaderList,
    policy: {
      maxAttempts: delivery.maxAttempts,
      backoffMs: delivery.backoff,
      maxRetryAfterMs: account.maxRetryAfter,
      terminalStatuses: new Set(delivery.terminalStatuses),
      maxDeliver: inputs.consumerMaxDeliver,
    },
    accountConcurrency: delivery.accountConcurrency,
    rateLimit: webhook.rateLimit,
    maxMessageBytes: account.maxMessageBytes,
    dlqSubject:
      account.dlqSubject === undefined ? undefined : renderDlqSubject(account.dlqSubject, account),
  };
}
