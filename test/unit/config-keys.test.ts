import assert from "node:assert/strict";
import { test } from "node:test";
import { camelCase, camelized } from "../../src/config/camel-case.js";
import { accountSchema, ENV_KEYS, loadConfig } from "../../src/config/index.js";

test("keys become camelCase, values and nested names stay as they are", () => {
  assert.equal(camelCase("max_retry_after"), "maxRetryAfter");
  assert.equal(camelCase("timeout"), "timeout");
  assert.equal(camelCase("ca_file"), "caFile");
  assert.deepEqual(camelized({ tenant_field: "t", headers: { x_raw_name: "v" }, url: undefined }), {
    tenantField: "t",
    headers: { x_raw_name: "v" },
  });
});

test("every key has its variable, named after its path", () => {
  assert.equal(ENV_KEYS.STREAMHOOK_WEBHOOK_TIMEOUT, "webhook.timeout");
  assert.equal(ENV_KEYS.STREAMHOOK_NATS_TLS_CA_FILE, "nats.tls.ca_file");
  assert.equal(ENV_KEYS.STREAMHOOK_BREAKER_MAX_COOLDOWN, "breaker.max_cooldown");
  assert.ok(!Object.values(ENV_KEYS).some((key) => key.startsWith("accounts.")));
  for (const [name, key] of Object.entries(ENV_KEYS)) {
    assert.equal(name, `STREAMHOOK_${key.replace(/\./g, "_").toUpperCase()}`);
  }
});

test("each variable reaches the resolved configuration under its camelCase name", () => {
  const config = loadConfig({
    env: {
      STREAMHOOK_STREAM: "EVENTS",
      STREAMHOOK_CONSUMER: "hook",
      STREAMHOOK_WEBHOOK_URL: "http://127.0.0.1:9000/hooks",
      STREAMHOOK_WEBHOOK_TIMEOUT: "3s",
      STREAMHOOK_DELIVERY_MAX_RETRY_AFTER: "2m",
      STREAMHOOK_BREAKER_MAX_COOLDOWN: "1m",
      STREAMHOOK_SHUTDOWN_TIMEOUT: "5s",
    },
  });
  assert.equal(config.webhook.timeout, 3_000);
  assert.equal(config.delivery.maxRetryAfter, 120_000);
  assert.equal(config.breaker.maxCooldown, 60_000);
  assert.equal(config.shutdownTimeout, 5_000);
  assert.equal(config.accounts[0]?.webhook.timeout, 3_000, "the account inherits it");
});

test("an account's overrides carry no defaults: what it leaves out stays the global value", () => {
  const parsed = accountSchema.parse({
    name: "acme",
    stream: "EV",
    consumer: "hook",
    webhook: {},
    delivery: {},
  });
  assert.deepEqual(parsed.webhook, {});
  assert.deepEqual(parsed.delivery, {});
  assert.throws(() =>
    accountSchema.parse({
      name: "acme",
      stream: "EV",
      consumer: "hook",
      delivery: { pull_batch: 1 },
    }),
  );
});
