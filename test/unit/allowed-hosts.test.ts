import assert from "node:assert/strict";
import { test } from "node:test";
import { hostMatcher, invalidHostGlob } from "../../src/delivery/allowed-hosts.js";

test("a * label stands for one or more whole labels, never part of one", () => {
  const allowed = hostMatcher(["*.example.com", "hooks.internal"]);
  assert.equal(allowed("a.example.com"), true);
  assert.equal(allowed("A.B.Example.COM"), true);
  assert.equal(allowed("hooks.internal"), true);
  assert.equal(allowed("example.com"), false, "the apex is not a subdomain");
  assert.equal(allowed("attacker-example.com"), false);
  assert.equal(allowed("a.example.com.attacker.net"), false);
  assert.equal(allowed("evil-hooks.internal"), false);
  assert.equal(hostMatcher([])("anything.example"), true, "an empty list allows every host");
});

test("a * inside a label, or an empty label, is refused when the configuration is read", () => {
  assert.equal(invalidHostGlob("*.example.com"), undefined);
  assert.equal(invalidHostGlob("hooks.example.com"), undefined);
  assert.match(invalidHostGlob("*example.com") ?? "", /whole labels/);
  assert.match(invalidHostGlob("hooks*.example.com") ?? "", /whole labels/);
  assert.match(invalidHostGlob("hooks..example.com") ?? "", /host name/);
});
