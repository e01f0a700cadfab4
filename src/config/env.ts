/**
 * Environment variables and the configuration key each one sets. The single account that can be
 * given by environment alone is handled separately (see ENV_ACCOUNT).
 */
export const ENV_KEYS: Readonly<Record<string, string>> = {
  STREAMHOOK_NATS_SERVERS: "nats.servers",
  STREAMHOOK_NATS_TLS_CA_FILE: "nats.tls.ca_file",
  STREAMHOOK_NATS_TLS_CERT_FILE: "nats.tls.cert_file",
  STREAMHOOK_NATS_TLS_KEY_FILE: "nats.tls.key_file",
  STREAMHOOK_ACCOUNTS_DIR: "accounts_dir",
  STREAMHOOK_ACCOUNTS_RESCAN_INTERVAL: "accounts_rescan_interval",
  STREAMHOOK_WEBHOOK_URL: "webhook.url",
  STREAMHOOK_WEBHOOK_SECRET: "webhook.secret",
  STREAMHOOK_WEBHOOK_PREVIOUS_SECRET: "webhook.previous_secret",
  STREAMHOOK_WEBHOOK_HEADERS: "webhook.headers",
  STREAMHOOK_WEBHOOK_TIMEOUT: "webhook.timeout",
  STREAMHOOK_WEBHOOK_BODY: "webhook.body",
  STREAMHOOK_WEBHOOK_TENANT_FIELD: "webhook.tenant_field",
  STREAMHOOK_WEBHOOK_ALLOWED_HOSTS: "webhook.allowed_hosts",
  STREAMHOOK_WEBHOOK_MAX_CONNECTIONS: "webhook.max_connections",
  STREAMHOOK_DELIVERY_CONCURRENCY: "delivery.concurrency",
  STREAMHOOK_DELIVERY_ACCOUNT_CONCURRENCY: "delivery.account_concurrency",
  STREAMHOOK_DELIVERY_MAX_ATTEMPTS: "delivery.max_attempts",
  STREAMHOOK_DELIVERY_BACKOFF: "delivery.backoff",
  STREAMHOOK_DELIVERY_MAX_RETRY_AFTER: "delivery.max_retry_after",
  STREAMHOOK_DELIVERY_TERMINAL_STATUSES: "delivery.terminal_statuses",
  STREAMHOOK_DELIVERY_PULL_BATCH: "delivery.pull_batch",
  STREAMHOOK_DELIVERY_QUEUE_CAPACITY: "delivery.queue_capacity",
  STREAMHOOK_BREAKER_FAILURE_THRESHOLD: "breaker.failure_threshold",
  STREAMHOOK_BREAKER_COOLDOWN: "breaker.cooldown",
  STREAMHOOK_BREAKER_MAX_COOLDOWN: "breaker.max_cooldown",
  STREAMHOOK_DLQ_SUBJECT: "dlq.subject",
  STREAMHOOK_HTTP_LISTEN: "http.listen",
  STREAMHOOK_LOG_LEVEL: "log.level",
  STREAMHOOK_LOG_FORMAT: "log.format",
  STREAMHOOK_SHUTDOWN_TIMEOUT: "shutdown_timeout",
};

/** Variables of the one account named `default` that the environment alone can define. */
export const ENV_ACCOUNT: Readonly<Record<string, string>> = {
  STREAMHOOK_STREAM: "stream",
  STREAMHOOK_CONSUMER: "consumer",
  STREAMHOOK_CREDENTIALS_FILE: "credentials_file",
  STREAMHOOK_TENANT_ID: "tenant_id",
  STREAMHOOK_NATS_TOKEN: "token",
  STREAMHOOK_NATS_USER: "user",
  STREAMHOOK_NATS_PASSWORD: "password",
};

/** Variables whose presence alone creates the environment account (credentials do not). */
export const ENV_ACCOUNT_TRIGGERS = [
  "STREAMHOOK_STREAM",
  "STREAMHOOK_CONSUMER",
  "STREAMHOOK_CREDENTIALS_FILE",
  "STREAMHOOK_TENANT_ID",
];
