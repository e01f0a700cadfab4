import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, test } from "node:test";
import { Webhook } from "standardwebhooks";
import { createHmac } from "node:crypto";
import {
  createSigner,
  decodeSecret,
  deriveAccountSecret,
  InvalidSecretError,
} from "../../src/delivery/signing.js";

const secret = `whsec_${randomBytes(24).toString("base64")}`;
const previous = `whsec_${randomBytes(32).toString("base64")}`;

function verify(key: string, id: string, ts: number, body: string, signature: string): unknown {
  return new Webhook(key).verify(body, {
    "webhook-id": id,
    "webhook-timestamp": String(ts),
    "webhook-signature": signature,
  });
}

describe("signing", () => {
  test("produces signatures the official standardwebhooks library verifies", () => {
    const signer = createSigner(secret);
    const ts = Math.floor(Date.now() / 1000);
    const body = JSON.stringify({ hello: "world", n: 1 });
    const sig = signer.sign("msg_abc", ts, Buffer.from(body));
    assert.match(sig, /^v1,[A-Za-z0-9+/]+=*$/);
    assert.deepEqual(verify(secret, "msg_abc", ts, body, sig), { hello: "world", n: 1 });
  });

  test("matches Node's HMAC for keys and bodies of every size, the buffer reused or not", () => {
    const sizes = [0, 1, 63, 64, 65, 200, 4096, 64 * 1024, 70_000, 300];
    for (const keyBytes of [1, 16, 32, 63, 64, 65, 128]) {
      const key = randomBytes(keyBytes);
      const signer = createSigner(`whsec_${key.toString("base64")}`);
      for (const size of sizes) {
        const body = randomBytes(size);
        const id = `msg_${size}_${keyBytes}`;
        const expected = createHmac("sha256", key).update(`${id}.1700000000.`).update(body);
        assert.equal(
          signer.sign(id, 1_700_000_000, body),
          `v1,${expected.digest("base64")}`,
          `key ${keyBytes} B, body ${size} B`,
        );
      }
    }
  });

  test("a tampered body or id fails verification", () => {
    const signer = createSigner(secret);
    const ts = Math.floor(Date.now() / 1000);
    const sig = signer.sign("msg_abc", ts, Buffer.from('{"a":1}'));
    assert.throws(() => verify(secret, "msg_abc", ts, '{"a":2}', sig));
    assert.throws(() => verify(secret, "msg_abd", ts, '{"a":1}', sig));
  });

  test("with a previous secret, receivers holding either secret verify", () => {
    const signer = createSigner(secret, previous);
    const ts = Math.floor(Date.now() / 1000);
    const body = '{"rotate":true}';
    const sig = signer.sign("msg_1", ts, Buffer.from(body));
    assert.equal(sig.split(" ").length, 2);
    assert.deepEqual(verify(secret, "msg_1", ts, body, sig), { rotate: true });
    assert.deepEqual(verify(previous, "msg_1", ts, body, sig), { rotate: true });
    const stranger = `whsec_${randomBytes(24).toString("base64")}`;
    assert.throws(() => verify(stranger, "msg_1", ts, body, sig));
  });

  test("rejects secrets that are not whsec_<base64>", () => {
    assert.throws(() => decodeSecret("plain-secret"), InvalidSecretError);
    assert.throws(() => decodeSecret("whsec_"), InvalidSecretError);
    assert.throws(() => decodeSecret("whsec_not base64!"), InvalidSecretError);
    assert.equal(decodeSecret("whsec_AAEC").length, 3);
  });

  test("an account's derived key follows SPEC section 4 and verifies with the official library", () => {
    const derived = deriveAccountSecret(secret, "acme");
    const expected = createHmac("sha256", Buffer.from(secret.slice(6), "base64"))
      .update("streamhook-account:acme")
      .digest("base64");
    assert.equal(derived, `whsec_${expected}`);
    assert.notEqual(deriveAccountSecret(secret, "globex"), derived, "one key per account");
    assert.notEqual(deriveAccountSecret(previous, "acme"), derived, "one key per global secret");

    const ts = Math.floor(Date.now() / 1000);
    const body = JSON.stringify({ tenant: "acme" });
    const sig = createSigner(derived).sign("msg_acme_1", ts, Buffer.from(body));
    assert.deepEqual(verify(derived, "msg_acme_1", ts, body, sig), { tenant: "acme" });
    // Another tenant's key, or the global one, does not verify acme's events.
    for (const other of [deriveAccountSecret(secret, "globex"), secret]) {
      assert.throws(() => verify(other, "msg_acme_1", ts, body, sig));
    }
  });
});
