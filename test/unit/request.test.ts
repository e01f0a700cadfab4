import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, test } from "node:test";
import { headers as natsHeaders, type MsgHdrs } from "@nats-io/transport-node";
import { Webhook } from "standardwebhooks";
import { prepareRequest } from "../../src/delivery/request.js";
import { loadConfig } from "../../src/config/index.js";
import { createDeliveryTarget, type DeliveryTarget } from "../../src/delivery/target.js";
import { createSigner } from "../../src/delivery/signing.js";
import { foldEquals, tenantStamp } from "../../src/delivery/body.js";
import { webhookId, webhookIdPrefix } from "../../src/delivery/webhook-id.js";

/** undici's flat `[name, value, ...]` list as a map; a name sent twice fails the test. */
function headerMap(list: readonly string[]): Record<string, string | undefined> {
  const map: Record<string, string | undefined> = {};
  for (let i = 0; i < list.length; i += 2) {
    const name = list[i] ?? "";
    assert.equal(map[name], undefined, `header ${name} sent twice`);
    map[name] = list[i + 1];
  }
  return map;
}

const secret = `whsec_${randomBytes(24).toString("base64")}`;

function target(overrides: Partial<DeliveryTarget> = {}): DeliveryTarget {
  const base: Omit<DeliveryTarget, "idPrefix" | "tenantStamp"> & Partial<DeliveryTarget> = {
    account: "acme",
    tenantId: "tenant-acme",
    stream: "EVENTS",
    streamCreated: "2026-01-01T00:00:00Z",
    url: new URL("http://127.0.0.1:9/hook"),
    origin: "http://127.0.0.1:9",
    hostAllowed: true,
    body: "payload",
    tenantField: "tenant_id",
    timeoutMs: 1000,
    maxConnections: 4,
    signer: createSigner(secret),
    staticHeaderList: [
      "content-type",
      "application/json",
      "user-agent",
      "streamhook/test",
      "streamhook-account",
      "acme",
      "streamhook-stream",
      "EVENTS",
      "streamhook-tenant",
      "tenant-acme",
    ],
    policy: {
      maxAttempts: 3,
      backoffMs: [1000],
      maxRetryAfterMs: 60_000,
      terminalStatuses: new Set([400]),
      maxDeliver: -1,
    },
    accountConcurrency: 4,
    rateLimit: 0,
    maxMessageBytes: 1024 * 1024,
    dlqSubject: undefined,
    ...overrides,
  };
  // Derived as createDeliveryTarget derives them, unless a test sets them itself.
  return {
    idPrefix: webhookIdPrefix(base.account, base.stream, base.streamCreated),
    tenantStamp: tenantStamp(base.tenantField, base.tenantId),
    ...base,
  };
}

function message(data: string | Uint8Array, seq = 7, hdrs?: MsgHdrs) {
  return {
    data: typeof data === "string" ? new TextEncoder().encode(data) : data,
    subject: "events.created",
    seq,
    headers: hdrs,
    deliveryCount: 2,
    publishedMs: 1_767_225_600_123,
  } satisfies Parameters<typeof prepareRequest>[1];
}

describe("prepareRequest", () => {
  test("stamps the account's tenant over a spoofed one and signs the exact body", () => {
    const now = Date.now();
    const req = prepareRequest(target(), message('{"tenant_id":"evil","n":1}'), now);
    assert.ok(req.ok);
    assert.deepEqual(JSON.parse(req.body.toString()), { tenant_id: "tenant-acme", n: 1 });
    assert.equal(headerMap(req.headers)["webhook-timestamp"], String(Math.floor(now / 1000)));
    assert.equal(headerMap(req.headers)["streamhook-attempt"], "2");
    assert.equal(headerMap(req.headers)["streamhook-sequence"], "7");
    assert.equal(headerMap(req.headers)["streamhook-subject"], "events.created");
    assert.equal(headerMap(req.headers)["streamhook-tenant"], "tenant-acme");
    assert.equal(headerMap(req.headers)["content-type"], "application/json");
    const verified = new Webhook(secret).verify(req.body.toString(), {
      "webhook-id": headerMap(req.headers)["webhook-id"] ?? "",
      "webhook-timestamp": headerMap(req.headers)["webhook-timestamp"] ?? "",
      "webhook-signature": headerMap(req.headers)["webhook-signature"] ?? "",
    });
    assert.deepEqual(verified, { tenant_id: "tenant-acme", n: 1 });
  });

  test("stamps by inserting the tenant first and keeps every other byte of the payload", () => {
    const cases: [string, string][] = [
      [
        '{ "big": 12345678901234567890, "s": "caf\\u00e9" }',
        '{"tenant_id":"tenant-acme", "big": 12345678901234567890, "s": "caf\\u00e9" }',
      ],
      ["{}", '{"tenant_id":"tenant-acme"}'],
      [" \n{ } ", ' \n{"tenant_id":"tenant-acme" } '],
    ];
    for (const [raw, expected] of cases) {
      const req = prepareRequest(target(), message(raw));
      assert.ok(req.ok, raw);
      assert.equal(req.body.toString(), expected);
    }
  });

  test("a tenant that needs escaping is stamped as valid JSON", () => {
    const tenantId = 'ten"ant\\\n';
    const req = prepareRequest(target({ tenantId }), message('{"n":1}'));
    assert.ok(req.ok);
    assert.deepEqual(JSON.parse(req.body.toString()), { tenant_id: tenantId, n: 1 });
  });

  test("a payload naming the field in any spelling JSON allows gets the account's value only", () => {
    for (const raw of [
      '{"tenant\\u005fid":"evil","n":1}',
      '{"tenant_id":"evil","n":1,"tenant_id":"evil2"}',
    ]) {
      const req = prepareRequest(target(), message(raw));
      assert.ok(req.ok, raw);
      const text = req.body.toString();
      assert.ok(!text.includes("evil"), text);
      assert.deepEqual(JSON.parse(text), { tenant_id: "tenant-acme", n: 1 });
    }
  });

  test("members that name the field in another case are removed: one tenant member is left", () => {
    for (const raw of [
      '{"TENANT_ID":"globex","n":1}',
      '{"n":1,"Tenant_Id":"globex"}',
      '{"tenant_id":"evil","TENANT_ID":"globex","n":1}',
      // The long s and the Kelvin sign fold to s and k: a decoder that folds takes them too.
      '{"ſender":"globex","n":1}',
    ]) {
      const field = raw.includes("ſ") ? "sender" : "tenant_id";
      const req = prepareRequest(target({ tenantField: field }), message(raw));
      assert.ok(req.ok, raw);
      const parsed = JSON.parse(req.body.toString()) as Record<string, unknown>;
      assert.deepEqual(parsed, { [field]: "tenant-acme", n: 1 }, raw);
    }
    // Nested members are the payload's business: only the top level names the tenant.
    const nested = prepareRequest(target(), message('{"inner":{"TENANT_ID":"x"}}'));
    assert.ok(nested.ok);
    assert.deepEqual(JSON.parse(nested.body.toString()), {
      tenant_id: "tenant-acme",
      inner: { TENANT_ID: "x" },
    });
  });

  test("foldEquals: equal ignoring case, code point by code point", () => {
    assert.equal(foldEquals("tenant_id", "TENANT_ID"), true);
    assert.equal(foldEquals("sender", "ſender"), true);
    assert.equal(foldEquals("kind", "\u212Aind"), true);
    assert.equal(foldEquals("tenant_id", "tenant_ids"), false);
    assert.equal(foldEquals("tenant_id", "tenant-id"), false);
    assert.equal(foldEquals("ss", "ß"), false, "no full folding: lengths differ");
  });

  test("a payload nested deeper than 1000 levels is malformed_payload, not an exception", () => {
    const nested = (depth: number, tenant: boolean): string =>
      `{${tenant ? '"tenant_id":"x",' : ""}"a":${"[".repeat(depth - 1)}${"]".repeat(depth - 1)}}`;
    for (const tenant of [true, false]) {
      const deepest = prepareRequest(target(), message(nested(1_000, tenant)));
      assert.ok(deepest.ok, `1000 levels, tenant member ${String(tenant)}`);
      assert.doesNotThrow(() => JSON.parse(deepest.body.toString()));
      for (const depth of [1_001, 100_000]) {
        const req = prepareRequest(target(), message(nested(depth, tenant)));
        assert.ok(!req.ok, `${String(depth)} levels`);
        assert.match(req.error, /nested deeper than 1000 levels/);
      }
    }
    const raw = nested(100_000, true);
    const envelope = prepareRequest(target({ body: "envelope" }), message(raw));
    assert.equal(envelope.ok, false);
  });

  test("cutting the payload's tenant members keeps every other member's bytes", () => {
    const cases: [string, string][] = [
      [
        '{ "big": 12345678901234567890, "tenant_id" : "evil" , "s": "caf\\u00e9" }',
        '{"tenant_id":"tenant-acme","big": 12345678901234567890,"s": "caf\\u00e9"}',
      ],
      ['{"tenant_id":"evil"}', '{"tenant_id":"tenant-acme"}'],
      [
        '{"a":"}\\"{,","Tenant_ID":{"x":["]"]},"b":[1,{"c":"\\\\"}],"n":-1.5e3,"t":true}',
        '{"tenant_id":"tenant-acme","a":"}\\"{,","b":[1,{"c":"\\\\"}],"n":-1.5e3,"t":true}',
      ],
      ['\n\t{"x":null,\r\n"tenant_id":1}\n', '{"tenant_id":"tenant-acme","x":null}'],
      // A byte order mark: JSON.parse never sees it, and the stamped body does without it.
      ['\uFEFF{"tenant_id":"evil","n":1}', '{"tenant_id":"tenant-acme","n":1}'],
      ['\uFEFF{"n":1}', '\uFEFF{"tenant_id":"tenant-acme","n":1}'],
    ];
    for (const [raw, expected] of cases) {
      const req = prepareRequest(target(), message(raw));
      assert.ok(req.ok, raw);
      assert.equal(req.body.toString(), expected);
    }
  });

  test("stamping random objects: the account's member once, every other member as parsed", () => {
    const random = (n: number): number => Math.floor(Math.random() * n);
    const names = ["tenant_id", "TENANT_ID", "tenant\\u005fid", "Tenant_Id", "n", "x", '"q', "{"];
    const leaf = (): unknown =>
      [() => random(1e6) - 5e5, () => 's}]\\"\\\\', () => null, () => true, () => 1.5][
        random(5)
      ]?.();
    const value = (depth: number): unknown => {
      if (depth > 3 || random(3) === 0) return leaf();
      if (random(2) === 0) return Array.from({ length: random(4) }, () => value(depth + 1));
      return Object.fromEntries(
        Array.from({ length: random(4) }, () => [`k${random(9)}`, value(depth + 1)]),
      );
    };
    for (let round = 0; round < 500; round++) {
      const members = Array.from({ length: random(6) }, () => {
        const name = names[random(names.length)] ?? "n";
        return `${JSON.stringify(name).replace("\\\\u005f", "\\u005f")}:${JSON.stringify(value(1), null, random(2) * 2)}`;
      });
      const raw = `${" ".repeat(random(2))}{${members.join(random(2) === 0 ? "," : " ,\n ")}}`;
      const parsed = JSON.parse(raw) as Record<string, unknown>;
      const expected: Record<string, unknown> = { tenant_id: "tenant-acme" };
      for (const [key, item] of Object.entries(parsed)) {
        if (key.toLowerCase() !== "tenant_id") expected[key] = item;
      }
      const req = prepareRequest(target(), message(raw));
      assert.ok(req.ok, raw);
      assert.deepEqual(JSON.parse(req.body.toString()), expected, raw);
      assert.equal(req.body.toString().match(/"tenant_id"/gi)?.length, 1, raw);
    }
  });

  test("payloads without escapes cut their one tenant member with the same bytes", () => {
    const cases: [string, string][] = [
      ['{"tenant_id":"evil","n":1}', '{"tenant_id":"tenant-acme","n":1}'],
      [
        '{ "a": 1 ,\n "tenant_id" : [1, {"x": "}"}] ,  "b":"c" }',
        '{"tenant_id":"tenant-acme","a": 1,"b":"c"}',
      ],
      ['{"a":{"k":1}, "b":2, "tenant_id":null}', '{"tenant_id":"tenant-acme","a":{"k":1}, "b":2}'],
      ['{"TENANT_ID":"evil"}', '{"tenant_id":"tenant-acme"}'],
      // A nested member and a string spelled like the field stay; so does a second spelling's
      // twin that only the full layout can tell apart.
      ['{"x":{"tenant_id":1},"tenant_id":2}', '{"tenant_id":"tenant-acme","x":{"tenant_id":1}}'],
      [
        '{"x":"tenant_id","tenant_id":2,"y":3}',
        '{"tenant_id":"tenant-acme","x":"tenant_id","y":3}',
      ],
      ['{"tenant_id":1,"a":0,"tenant_id":2}', '{"tenant_id":"tenant-acme","a":0}'],
      ['{"Tenant_Id":1,"tenant_id":2}', '{"tenant_id":"tenant-acme"}'],
    ];
    for (const [raw, expected] of cases) {
      const req = prepareRequest(target(), message(raw));
      assert.ok(req.ok, raw);
      assert.equal(req.body.toString(), expected, raw);
    }
    // Random payloads cut twice: as they are, and with a backslash in the value of the member
    // cut (which sends them through the full layout). The bodies must be the same bytes.
    const random = (n: number): number => Math.floor(Math.random() * n);
    const spaces = ["", " ", "\n  "];
    const pick = <T>(items: readonly T[]): T => items[random(items.length)] as T;
    const value = (depth: number): string => {
      if (depth > 2 || random(3) === 0) return pick(["1", '"s"', "null", '"tenant_id"', "[]"]);
      if (random(2) === 0) {
        return `[${Array.from({ length: random(3) }, () => value(depth + 1)).join(",")}]`;
      }
      const keys = ["a", "tenant_id", "TENANT_ID"];
      const members = Array.from(
        { length: random(3) },
        () => `"${pick(keys)}":${value(depth + 1)}`,
      );
      return `{${members.join(pick(spaces) + ",")}}`;
    };
    // A string holding a backslash, in JSON.
    const backslash = '"\\\\"';
    for (let round = 0; round < 500; round++) {
      const names = ["a", "b", "c"].filter(() => random(2) === 0);
      names.splice(random(names.length + 1), 0, "tenant_id");
      const members = names.map((name) => ({
        name,
        before: `${pick(spaces)}"${name}"${pick(spaces)}:${pick(spaces)}`,
        value: value(1),
        after: pick(spaces),
      }));
      const payload = (cut: string): string =>
        `{${members
          .map((m) => `${m.before}${m.name === "tenant_id" ? cut : m.value}${m.after}`)
          .join(",")}}`;
      const raw = payload(members.find((m) => m.name === "tenant_id")?.value ?? "1");
      const fast = prepareRequest(target(), message(raw));
      const full = prepareRequest(target(), message(payload(backslash)));
      assert.ok(fast.ok && full.ok, raw);
      assert.equal(fast.body.toString(), full.body.toString(), raw);
    }
  });

  test("a tenant field named __proto__ becomes a field, not the prototype", () => {
    const req = prepareRequest(target({ tenantField: "__proto__" }), message('{"n":1}'));
    assert.ok(req.ok);
    const parsed = JSON.parse(req.body.toString()) as Record<string, unknown>;
    assert.ok(Object.hasOwn(parsed, "__proto__"));
    assert.equal(parsed.n, 1);
    assert.equal(Object.getOwnPropertyDescriptor(parsed, "__proto__")?.value, "tenant-acme");
  });

  test("forwards the payload byte for byte when the account has no tenant", () => {
    const raw = '{ "b":2,  "a":1 }';
    const req = prepareRequest(target({ tenantId: undefined }), message(raw));
    assert.ok(req.ok);
    assert.equal(req.body.toString(), raw);
  });

  test("webhook-id is stable per message, distinct across messages and accounts, and has no dot", () => {
    const a = prepareRequest(target(), message("{}", 1));
    const b = prepareRequest(target(), message("{}", 1));
    const c = prepareRequest(target(), message("{}", 2));
    const d = prepareRequest(target({ account: "other" }), message("{}", 1));
    assert.equal(a.id, b.id);
    assert.notEqual(a.id, c.id);
    assert.notEqual(a.id, d.id);
    assert.ok(!a.id.includes("."));
    assert.equal(a.id, webhookId(webhookIdPrefix("acme", "EVENTS", "2026-01-01T00:00:00Z"), 1));
    assert.notEqual(webhookIdPrefix("a_b", "c", "t"), webhookIdPrefix("a", "b_c", "t"));
    // The prefix has a fixed length, so no sequence can run into it.
    assert.equal(
      webhookIdPrefix("a", "b", "t").length,
      webhookIdPrefix("long-name", "S", "t").length,
    );
  });

  test("rejects payloads that are not a JSON object", () => {
    const cases: [string | Uint8Array, RegExp][] = [
      ["not json", /not JSON/],
      ["[1,2]", /an array/],
      ["null", /null/],
      ['"text"', /a string/],
      ["42", /a number/],
      [new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]), /UTF-8/],
    ];
    for (const [data, pattern] of cases) {
      const req = prepareRequest(target(), message(data));
      assert.ok(!req.ok);
      assert.match(req.error, pattern);
    }
  });

  test("envelope mode wraps any payload with its metadata", () => {
    const h = natsHeaders();
    h.set("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
    h.set("tracestate", "vendor=1");
    h.set("x-custom", "yes");
    const json = prepareRequest(
      target({ body: "envelope" }),
      message('{"tenant_id":"evil"}', 9, h),
    );
    assert.ok(json.ok);
    const env = JSON.parse(json.body.toString()) as Record<string, unknown>;
    assert.equal(env.id, json.id);
    assert.equal(env.tenant_id, "tenant-acme");
    assert.equal(env.account, "acme");
    assert.equal(env.subject, "events.created");
    assert.equal(env.stream, "EVENTS");
    assert.equal(env.sequence, 9);
    assert.equal(env.timestamp, "2026-01-01T00:00:00.123Z");
    assert.deepEqual(env.data, { tenant_id: "tenant-acme" });
    assert.deepEqual((env.headers as Record<string, string[]>)["x-custom"], ["yes"]);
    assert.equal(
      headerMap(json.headers).traceparent,
      "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
    );
    assert.equal(headerMap(json.headers).tracestate, "vendor=1");

    const binary = prepareRequest(target({ body: "envelope" }), message(new Uint8Array([0, 1, 2])));
    assert.ok(binary.ok);
    const benv = JSON.parse(binary.body.toString()) as Record<string, unknown>;
    assert.equal(benv.data_base64, "AAEC");
    assert.equal("data" in benv, false);
  });

  test("without a secret there is no signature header", () => {
    const req = prepareRequest(target({ signer: undefined }), message("{}"));
    assert.ok(req.ok);
    assert.equal(headerMap(req.headers)["webhook-signature"], undefined);
  });
});

describe("configured headers", () => {
  test("are sent, but never in place of a per-request header", () => {
    const config = loadConfig({
      env: {
        STREAMHOOK_STREAM: "EVENTS",
        STREAMHOOK_CONSUMER: "hook",
        STREAMHOOK_WEBHOOK_URL: "http://127.0.0.1:9/hook",
        STREAMHOOK_WEBHOOK_HEADERS: JSON.stringify({ "X-Route": "blue", "Webhook-Id": "forged" }),
      },
    });
    const account = config.accounts[0];
    assert.ok(account);
    const built = createDeliveryTarget({
      account,
      streamCreated: "2026-01-01T00:00:00Z",
      consumerMaxDeliver: -1,
      userAgent: "streamhook/test",
    });
    const req = prepareRequest(built, message(JSON.stringify({ a: 1 })));
    assert.ok(req.ok);
    const headers = headerMap(req.headers);
    assert.equal(headers["x-route"], "blue");
    assert.equal(headers["webhook-id"], req.id);
  });
});
