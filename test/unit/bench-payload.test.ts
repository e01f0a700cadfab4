import assert from "node:assert/strict";
import { test } from "node:test";
import { drainPayloadOf, shapeLabel, TENANT_PLACES } from "../../bench/payload.js";

test("bench drain payloads: JSON objects of the asked size, the tenant where asked", () => {
  const decoder = new TextDecoder();
  for (const bytes of [200, 512, 4096]) {
    TENANT_PLACES.forEach((place, at) => {
      const data = drainPayloadOf(bytes, at)(7);
      assert.equal(data.length, bytes, `${place} at ${bytes}`);
      const object = JSON.parse(decoder.decode(data)) as Record<string, unknown>;
      const keys = Object.keys(object);
      assert.equal(object.i, 7);
      const index = keys.indexOf("tenant_id");
      if (place === "none") assert.equal(index, -1);
      if (place === "first") assert.equal(index, 0);
      if (place === "middle") assert.ok(index > 0 && index < keys.length - 1);
      if (place === "last") assert.equal(index, keys.length - 1);
    });
  }
  assert.throws(() => drainPayloadOf(512, 4), /expected 0 to 3/);
});

test("bench drain payloads: a shape in a few words", () => {
  assert.equal(shapeLabel(450, 1), "450 B, tenant_id first");
  assert.equal(shapeLabel(4096, 3), "4096 B, tenant_id last");
  assert.equal(shapeLabel(512, 0), "512 B, no tenant_id");
});
