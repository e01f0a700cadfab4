import assert from "node:assert/strict";
import { test } from "node:test";
import type { JsMsg } from "@nats-io/jetstream";
import { parseAckSubject, pulledMessage } from "../../src/nats/pulled-message.js";

const HASH = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567ABCDEFGHIJKLMNOPQRSTUVWX";

test("parseAckSubject: both forms the server sends", () => {
  const cases: [string, ReturnType<typeof parseAckSubject>][] = [
    [
      "$JS.ACK.EVENTS.webhook.1.42.40.1767225600123456789.7",
      { deliveryCount: 1, seq: 42, publishedMs: 1_767_225_600_123 },
    ],
    [
      `$JS.ACK._.${HASH}.EVENTS.webhook.3.9007199254.12.1767225600999999999.0.x8Yt3`,
      { deliveryCount: 3, seq: 9_007_199_254, publishedMs: 1_767_225_600_999 },
    ],
    [
      `$JS.ACK.hub.${HASH}.EV.c.12.1.1.1767225600000000000.0`,
      { deliveryCount: 12, seq: 1, publishedMs: 1_767_225_600_000 },
    ],
    [`$JS.ACK._.${HASH}.S.C.1.5.5.1000000.0.t`, { deliveryCount: 1, seq: 5, publishedMs: 1 }],
  ];
  for (const [subject, expected] of cases) assert.deepEqual(parseAckSubject(subject), expected);
});

test("parseAckSubject: anything else is left to the client", () => {
  for (const subject of [
    "",
    "_INBOX.abc",
    "$JS.ACK.EVENTS.webhook.1.42",
    "$JS.ACK.EVENTS.webhook.x.42.40.1767225600123456789.7",
    "$JS.ACK.EVENTS.webhook.1.42.40.123.7",
    "$JS.ACK.EVENTS.webhook.1..40.1767225600123456789.7",
    `$JS.ACK._.${HASH}.EVENTS.webhook.1.99999999999999999.1.1767225600123456789.0`,
    `$JS.ACK.${"a.".repeat(12)}1`,
  ]) {
    assert.equal(parseAckSubject(subject), undefined, subject);
  }
});

function clientMessage(reply: unknown, info: () => JsMsg["info"]): JsMsg {
  return {
    reply,
    subject: "orders.created",
    data: new TextEncoder().encode('{"n":1}'),
    headers: undefined,
    get info() {
      return info();
    },
  } as unknown as JsMsg;
}

test("pulledMessage: the fields a delivery reads, the client's parse only as a fallback", () => {
  const unused = (): JsMsg["info"] => assert.fail("the client's parse was used");
  const reply = `$JS.ACK._.${HASH}.EVENTS.webhook.2.77.70.1767225600123456789.5.tok`;
  const pulled = pulledMessage(clientMessage(reply, unused));
  assert.deepEqual(
    {
      data: new TextDecoder().decode(pulled.data),
      subject: pulled.subject,
      headers: pulled.headers,
      seq: pulled.seq,
      deliveryCount: pulled.deliveryCount,
      publishedMs: pulled.publishedMs,
    },
    {
      data: '{"n":1}',
      subject: "orders.created",
      headers: undefined,
      seq: 77,
      deliveryCount: 2,
      publishedMs: 1_767_225_600_123,
    },
  );
  const info = { deliveryCount: 4, streamSequence: 9, timestampNanos: 1_767_225_600_500_900_000 };
  for (const odd of [undefined, "$JS.ACK.some.future.form"]) {
    const fallback = pulledMessage(clientMessage(odd, () => info as JsMsg["info"]));
    assert.equal(fallback.seq, 9);
    assert.equal(fallback.deliveryCount, 4);
    assert.equal(fallback.publishedMs, 1_767_225_600_500);
  }
});

test("pulledMessage: headers the client cannot decode fail when read, not when pulled", () => {
  const reply = `$JS.ACK._.${HASH}.EVENTS.webhook.1.5.5.1767225600123456789.0.tok`;
  const msg = {
    reply,
    subject: "orders.created",
    data: new Uint8Array(),
    get headers(): never {
      throw new Error("'header' ' ' is not a valid character in a header name");
    },
  } as unknown as JsMsg;
  const pulled = pulledMessage(msg);
  assert.equal(pulled.seq, 5);
  assert.throws(() => pulled.headers, /not a valid character/);
});
