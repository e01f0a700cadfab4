import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createWebhookClient, type WebhookClient } from "../../src/delivery/webhook-client.js";
import { startReceiver, type Receiver } from "../../src/testing/receiver.js";

describe("webhook client against a real receiver", () => {
  let receiver: Receiver;
  let client: WebhookClient;

  before(async () => {
    receiver = await startReceiver();
    client = createWebhookClient();
  });

  after(async () => {
    await client.close();
    await receiver.close();
  });

  const post = (timeoutMs = 2_000) =>
    client.post({
      url: new URL(receiver.url),
      headers: ["content-type", "application/json"],
      body: Buffer.from("{}"),
      timeoutMs,
      maxConnections: 4,
    });

  test("a redirect is an answer, never followed", async () => {
    receiver.script(() => ({ status: 302, headers: { location: `${receiver.url}/elsewhere` } }));
    const before = receiver.requests.length;
    assert.deepEqual(await post(), { kind: "response", status: 302, retryAfter: undefined });
    assert.equal(receiver.requests.length, before + 1, "only the original request was made");
  });

  test("a 10 MB response body does not stop the status from counting", async () => {
    const huge = Buffer.alloc(10 * 1024 * 1024, 120);
    receiver.script(() => ({ status: 200, body: huge }));
    assert.deepEqual(await post(), { kind: "response", status: 200, retryAfter: undefined });
    receiver.script(() => undefined);
    assert.deepEqual(await post(), { kind: "response", status: 200, retryAfter: undefined });
  });

  test("a receiver that answers too slowly is a timeout", async () => {
    receiver.script(() => ({ status: 200, delayMs: 1_500 }));
    const outcome = await post(200);
    assert.equal(outcome.kind, "timeout");
  });

  test("a reset connection is a network error", async () => {
    receiver.script(() => ({ reset: true }));
    const outcome = await post();
    assert.equal(outcome.kind, "network_error");
  });

  test("Retry-After is passed on", async () => {
    receiver.script(() => ({ status: 503, headers: { "retry-after": "7" } }));
    assert.deepEqual(await post(), { kind: "response", status: 503, retryAfter: "7" });
  });

  test("a refused connection is a network error", async () => {
    const closed = await startReceiver();
    const url = new URL(closed.url);
    await closed.close();
    const outcome = await client.post({
      url,
      headers: [],
      body: Buffer.from("{}"),
      timeoutMs: 2_000,
      maxConnections: 1,
    });
    assert.ok(outcome.kind === "network_error");
    assert.match(outcome.error, /ECONNREFUSED/);
  });
});
