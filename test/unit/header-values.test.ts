import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { headers as natsHeaders } from "@nats-io/transport-node";
import {
  subjectHeader,
  traceHeaders,
  validTraceparent,
  validTracestate,
} from "../../src/delivery/header-values.js";

const PARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

/** What undici accepts in a header value: no CR, LF or NUL, and nothing beyond one byte. */
const sendable = (value: string): boolean => /^[\t\x20-\x7e]*$/.test(value);

describe("streamhook-subject", () => {
  test("a plain subject is passed as it is", () => {
    assert.equal(subjectHeader("events.created.v1"), "events.created.v1");
    assert.equal(subjectHeader("a.*.>"), "a.*.>");
  });

  test("bytes outside visible ASCII, and % itself, are percent-encoded", () => {
    assert.equal(subjectHeader("events.€"), "events.%E2%82%AC");
    assert.equal(subjectHeader("a b"), "a%20b");
    assert.equal(subjectHeader("50%.off"), "50%25.off");
    assert.equal(subjectHeader("ctl.\x00\r\n\x7f"), "ctl.%00%0D%0A%7F");
  });

  test("every encoded subject decodes back to the original and is sendable", () => {
    for (const subject of ["events.€", "x.ü.日本", "50%.off", "tab\there", "e.\u{1F600}"]) {
      const header = subjectHeader(subject);
      assert.ok(sendable(header), header);
      assert.equal(decodeURIComponent(header), subject);
    }
  });
});

describe("traceparent and tracestate", () => {
  test("the W3C grammar: valid forms", () => {
    assert.equal(validTraceparent(PARENT), true);
    assert.equal(validTraceparent(PARENT.replace(/-01$/, "-00")), true);
    // A later version may carry more after the flags.
    assert.equal(validTraceparent(`cc${PARENT.slice(2)}-what-comes-next`), true);
  });

  test("the W3C grammar: invalid forms", () => {
    for (const value of [
      "00-€",
      "",
      PARENT.toUpperCase(),
      `ff${PARENT.slice(2)}`,
      `${PARENT}-extra`,
      "00-00000000000000000000000000000000-b7ad6b7169203331-01",
      "00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01",
      "00-0af7651916cd43dd8448eb211c80319-b7ad6b7169203331-01",
      `${PARENT}\r\nx-injected: 1`,
    ]) {
      assert.equal(validTraceparent(value), false, JSON.stringify(value));
    }
  });

  test("tracestate members, the multi-tenant form, limits", () => {
    assert.equal(validTracestate("rojo=00f067aa0ba902b7,congo=t61rcWkgMzE"), true);
    assert.equal(validTracestate("rojo=1, congo=2 ,\t,t@vendor=x"), true);
    assert.equal(validTracestate("Rojo=1"), false, "upper-case key");
    assert.equal(validTracestate("rojo=€"), false);
    assert.equal(validTracestate("rojo=a,b"), false, "a member without =");
    assert.equal(validTracestate("rojo=a=b"), false, "= inside a value");
    assert.equal(validTracestate(`k=${"v".repeat(600)}`), false, "over 512 characters");
    const many = Array.from({ length: 33 }, (_, i) => `k${i}=v`).join(",");
    assert.equal(validTracestate(many), false, "over 32 members");
  });

  test("only valid values are copied, and tracestate only with a valid traceparent", () => {
    const h = natsHeaders();
    h.set("traceparent", PARENT);
    h.set("tracestate", "rojo=1");
    assert.deepEqual(traceHeaders(h), ["traceparent", PARENT, "tracestate", "rojo=1"]);

    const badState = natsHeaders();
    badState.set("traceparent", PARENT);
    badState.set("tracestate", "rojo=€");
    assert.deepEqual(traceHeaders(badState), ["traceparent", PARENT]);

    const badParent = natsHeaders();
    badParent.set("traceparent", "00-€");
    badParent.set("tracestate", "rojo=1");
    assert.deepEqual(traceHeaders(badParent), []);

    assert.deepEqual(traceHeaders(undefined), []);
    assert.deepEqual(traceHeaders(natsHeaders()), []);
  });
});
