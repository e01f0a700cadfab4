import assert from "node:assert/strict";
import { test } from "node:test";
import { headers as natsHeaders } from "@nats-io/transport-node";
import { deadLetterHeaders } from "../../src/delivery/dead-letter.js";

test("the DLQ copy keeps the publisher's headers but none of the Nats-* control headers", () => {
  const original = natsHeaders();
  original.set("Nats-Expected-Stream", "EV");
  original.set("Nats-Msg-Id", "publisher-id");
  original.set("nats-expected-last-sequence", "12");
  original.set("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
  original.append("x-custom", "one");
  original.append("x-custom", "two");
  const out = deadLetterHeaders(
    { headers: original, subject: "events.x", seq: 5, deliveryCount: 3 },
    { action: "dead_letter", reason: "terminal_status", status: 400 },
    { stream: "EV", tenantId: "acme" },
  );
  const keys = [...out.keys()].map((k) => k.toLowerCase());
  assert.ok(!keys.some((k) => k.startsWith("nats-")), keys.join(", "));
  assert.deepEqual(out.values("x-custom"), ["one", "two"]);
  assert.equal(out.get("traceparent"), original.get("traceparent"));
  assert.equal(out.get("streamhook-dlq-reason"), "terminal_status");
  assert.equal(out.get("streamhook-dlq-status"), "400");
  assert.equal(out.get("streamhook-dlq-attempts"), "3");
  assert.equal(out.get("streamhook-sequence"), "5");
  assert.equal(out.get("streamhook-tenant"), "acme");
});
