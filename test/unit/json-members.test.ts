import assert from "node:assert/strict";
import { test } from "node:test";
import { objectLayout } from "../../src/delivery/json-members.js";

const layoutOf = (text: string, maxDepth?: number) => objectLayout(Buffer.from(text), maxDepth);

test("objectLayout: each member's name and extent, whatever the spacing", () => {
  const text = ' { "a" : 1 ,"b\\"":{"c":[1,"]}"]},\n"d":"x\\\\"}';
  const result = layoutOf(text);
  assert.ok(result.ok);
  const { open, members } = result.layout;
  assert.equal(open, 1);
  const spans: string[] = [];
  for (let i = 0; i < members.length; i += 3) {
    spans.push(text.slice(members[i], members[i + 2]));
    assert.equal(text[members[i + 1] ?? 0], '"');
  }
  assert.deepEqual(spans, ['"a" : 1', '"b\\"":{"c":[1,"]}"]}', '"d":"x\\\\"']);
  const empty = layoutOf(" {\n} ");
  assert.ok(empty.ok);
  assert.deepEqual(empty.layout.members, []);
});

test("objectLayout: bytes that are not an object are refused, never thrown", () => {
  for (const text of ['"x"', '{"a"', '{"a":1 "b":2}', '{"a":"x']) {
    const result = layoutOf(text);
    assert.ok(!result.ok, text);
    assert.match(result.error, /cannot be stamped/);
  }
});

test("objectLayout: depth counts objects and arrays, never brackets inside strings", () => {
  assert.ok(layoutOf('{"a":"[[[[{{{{","b":[[1]]}', 3).ok);
  const deep = layoutOf('{"a":"x","b":[[{"c":1}]]}', 3);
  assert.ok(!deep.ok);
  assert.match(deep.error, /deeper than 3 levels/);
  assert.ok(layoutOf('{"b":[[{"c":1}]]}', 4).ok);
});
