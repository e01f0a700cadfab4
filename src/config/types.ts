// The resolved configuration the daemon runs on: camelCase, durations in milliseconds, every
// default applied and every account merged with the global settings.

export interface WebhookConfig {
  url: string | undefined;
  secret: string | undefined;
  previousSecret: string | undefined;
  headers: Record<string, string>;
  timeoutMs: number;
  body: "payload" | "envelope";
  tenantField: string;
  /** Host globs; empty allows every host. */
  allowedHosts: string[];
  maxConnections: number;
}

export interface AccountDeliveryConfig {
  maxAttempts: number;
  backoffMs: number[];
  accountConcurrency: number;
  terminalStatuses: number[];
}

export interface DeliveryConfig extends AccountDeliveryConfig {
  concurrency: number;
  maxRetryAfterMs: number;
  pullBatch: number;
  queueCapacity: number;
  /** Message bytes held in the queue, all accounts. */
  queueBytes: number;
  /** A message larger than this is dead-lettered as `too_large`. */
  maxMessageBytes: number;
}

export interface TlsConfig {
  caFile?: string;
  certFile?: string;
  keyFile?: string;
}

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
  delivery: AccountDeliveryConfig;
  maxRetryAfterMs: number;
  maxMessageBytes: number;
  /** Still a template, with `{account}`, `{tenant}` and `{stream}`. */
  dlqSubject: string | undefined;
  paused: boolean;
}

export interface Config {
  nats: { servers: string[]; tls: TlsConfig | undefined };
  accountsDir: string | undefined;
  accountsRescanIntervalMs: number;
  accounts: AccountConfig[];
  webhook: WebhookConfig;
  delivery: DeliveryConfig;
  breaker: { failureThreshold: number; cooldownMs: number; maxCooldownMs: number };
  dlq: { subject: string | undefined };
  /** undefined: the HTTP server is off. */
  http: { listen: { host: string; port: number } | undefined };
  log: { level: string; format: "json" | "pretty" };
  shutdownTimeoutMs: number;
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
