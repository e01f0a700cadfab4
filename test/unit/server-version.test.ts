import assert from "node:assert/strict";
import { test } from "node:test";
import { takesTermReason } from "../../src/nats/server-version.js";

test("+TERM with a reason from nats-server 2.10 on, never before or when unknown", () => {
  for (const version of ["2.10.0", "2.10.27", "2.11.1", "2.15.1", "3.0.0", "2.12.0-beta.1"]) {
    assert.equal(takesTermReason(version), true, version);
  }
  for (const version of ["2.9.10", "2.9.25", "2.2.0", "1.4.1", "", "garbage", undefined]) {
    assert.equal(takesTermReason(version), false, String(version));
  }
});
