import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  MIN_PULL_AHEAD,
  PULL_BYTES_OVERHEAD,
  pullAhead,
  pullAheadBytes,
} from "../../src/accounts/pull-ahead.js";
import { batchOptions } from "../../src/accounts/pull-batches.js";

describe("pullAhead", () => {
  test("a few accounts pull their full batch", () => {
    assert.equal(pullAhead(256, 4096, 1), 256);
    assert.equal(pullAhead(256, 4096, 16), 256);
  });

  test("many accounts share the budget", () => {
    assert.equal(pullAhead(256, 4096, 17), 240);
    assert.equal(pullAhead(256, 4096, 100), 40);
  });

  test("never below the floor, however many accounts", () => {
    assert.equal(pullAhead(256, 4096, 1000), MIN_PULL_AHEAD);
    assert.equal(pullAhead(256, 4096, 1_000_000), MIN_PULL_AHEAD);
  });

  test("never above the configured batch, even below the floor", () => {
    assert.equal(pullAhead(8, 4096, 1000), 8);
    assert.equal(pullAhead(1, 4096, 1), 1);
  });

  test("no accounts yet counts as one", () => {
    assert.equal(pullAhead(256, 4096, 0), 256);
  });
});

describe("pullAheadBytes", () => {
  const MiB = 1024 * 1024;

  test("accounts share the byte budget", () => {
    assert.equal(pullAheadBytes(64 * MiB, 1), 64 * MiB);
    assert.equal(pullAheadBytes(64 * MiB, 16), 4 * MiB);
    assert.equal(pullAheadBytes(64 * MiB, 0), 64 * MiB, "no accounts yet counts as one");
  });
});

describe("batchOptions", () => {
  const MiB = 1024 * 1024;

  test("small messages are pulled by count: the whole window fits in the byte share", () => {
    assert.deepEqual(batchOptions({ messages: 256, bytes: 64 * MiB }, 500, MiB), {
      max_messages: 256,
    });
    assert.deepEqual(batchOptions({ messages: 81, bytes: 640 * 1024 }, 4_000, MiB), {
      max_messages: 81,
    });
  });

  test("large messages are pulled by bytes, the account's share of them", () => {
    assert.deepEqual(batchOptions({ messages: 256, bytes: 16 * MiB }, 900 * 1024, MiB), {
      max_bytes: 16 * MiB,
    });
  });

  test("never below one message of the server's largest payload with its headers", () => {
    assert.deepEqual(batchOptions({ messages: 32, bytes: 64 * 1024 }, 900 * 1024, MiB), {
      max_bytes: MiB + PULL_BYTES_OVERHEAD,
    });
  });
});
