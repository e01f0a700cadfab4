// The resolved configuration the daemon runs on: the schema's keys in camelCase, durations in
// milliseconds, every default applied and every account merged with the global settings. The
// sections are derived from the schema, so a key added there appears here by itself.
import type { Camelized } from "./camel-case.js";
import type { ACCOUNT_DELIVERY_KEYS, RawConfig } from "./schema.js";

/** `webhook.*`; durations in milliseconds; `allowedHosts` empty allows every host. */
export type WebhookConfig = Camelized<RawConfig["webhook"]>;

/** The `delivery.*` keys an account may set for itself. */
export type AccountDeliveryConfig = Camelized<
  Pick<RawConfig["delivery"], (typeof ACCOUNT_DELIVERY_KEYS)[number]>
>;

/** `delivery.*`; durations in milliseconds. */
export type DeliveryConfig = Camelized<RawConfig["delivery"]>;

export type BreakerConfig = Camelized<RawConfig["breaker"]>;

export type TlsConfig = Camelized<NonNullable<RawConfig["nats"]["tls"]>>;

export interface AccountConfig {
  name: string;
  source: "static" | "env" | "directory";
  stream: string;
  consumer: string;
  tenantId: string | undefined;
  /** Absolute path. */
  credentialsFile: string | undefined;
  token: string | undefined;
  user: string | undefined;
  password: string | undefined;
  servers: string[];
  tls: TlsConfig | undefined;
  webhook: WebhookConfig & { url: string };
  /**
   * Where the signing secret comes from: the account's own `webhook.secret`, derived from the
   * global one (its own URL, no secret of its own), the global one (the global URL), or none.
   */
  secretSource: "account" | "derived" | "global" | "none";
  delivery: AccountDeliveryConfig;
  /** Milliseconds; the daemon's `delivery.max_retry_after`. */
  maxRetryAfter: number;
  maxMessageBytes: number;
  /** Still a template, with `{account}`, `{tenant}` and `{stream}`. */
  dlqSubject: string | undefined;
  paused: boolean;
}

export interface Config {
  nats: { servers: string[]; tls: TlsConfig | undefined };
  accountsDir: string | undefined;
  /** Milliseconds. */
  accountsRescanInterval: number;
  accounts: AccountConfig[];
  webhook: WebhookConfig;
  delivery: DeliveryConfig;
  breaker: BreakerConfig;
  dlq: { subject: string | undefined };
  /** `listen` undefined: the HTTP server is off. */
  http: Camelized<RawConfig["http"]>;
  /** `url` undefined: no operator events. */
  events: Camelized<RawConfig["events"]>;
  log: RawConfig["log"];
  /** Milliseconds. */
  shutdownTimeout: number;
  configFile: string | undefined;
}

/** What an account inherits from the global configuration. */
export interface AccountDefaults {
  readonly servers: string[];
  readonly tls: TlsConfig | undefined;
  readonly webhook: WebhookConfig;
  readonly delivery: DeliveryConfig;
  readonly dlqSubject: string | undefined;
}
