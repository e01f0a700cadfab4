import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, mock, test } from "node:test";
import type { JsMsg } from "@nats-io/jetstream";
import { createAckBatcher } from "../../src/delivery/ack-batcher.js";

/** A message that records its acks in `log` as "<name>", and can be made to throw. */
function message(name: string, log: string[], fails = false): JsMsg {
  return {
    ack() {
      if (fails) throw new Error("connection closed");
      log.push(name);
    },
  } as unknown as JsMsg;
}

describe("createAckBatcher", () => {
  beforeEach(() => {
    mock.timers.enable({ apis: ["setTimeout"] });
  });
  afterEach(() => {
    mock.timers.reset();
  });

  test("holds an account's acks until its first has waited maxDelayMs", () => {
    const sent: string[] = [];
    const acks = createAckBatcher({ maxBatch: 10, maxDelayMs: 200 });
    acks.ack("a", message("a1", sent));
    mock.timers.tick(150);
    acks.ack("a", message("a2", sent));
    assert.deepEqual(sent, []);
    mock.timers.tick(50);
    assert.deepEqual(sent, ["a1", "a2"]);
    // The next ack starts a new batch with its own delay.
    acks.ack("a", message("a3", sent));
    mock.timers.tick(199);
    assert.deepEqual(sent, ["a1", "a2"]);
    mock.timers.tick(1);
    assert.deepEqual(sent, ["a1", "a2", "a3"]);
  });

  test("sends a batch at once when it reaches maxBatch", () => {
    const sent: string[] = [];
    const acks = createAckBatcher({ maxBatch: 3, maxDelayMs: 200 });
    for (const name of ["a1", "a2"]) acks.ack("a", message(name, sent));
    assert.deepEqual(sent, []);
    acks.ack("a", message("a3", sent));
    assert.deepEqual(sent, ["a1", "a2", "a3"]);
    // Its timer went with it: nothing is sent twice, and a new batch waits its own delay.
    acks.ack("a", message("a4", sent));
    mock.timers.tick(199);
    assert.deepEqual(sent, ["a1", "a2", "a3"]);
    mock.timers.tick(1);
    assert.deepEqual(sent, ["a1", "a2", "a3", "a4"]);
  });

  test("keeps one batch per account, each with its own delay", () => {
    const sent: string[] = [];
    const acks = createAckBatcher({ maxBatch: 2, maxDelayMs: 200 });
    acks.ack("a", message("a1", sent));
    mock.timers.tick(100);
    acks.ack("b", message("b1", sent));
    acks.ack("b", message("b2", sent));
    assert.deepEqual(sent, ["b1", "b2"]);
    mock.timers.tick(100);
    assert.deepEqual(sent, ["b1", "b2", "a1"]);
  });

  test("flush sends every account's batch now, and a failed ack does not stop the others", () => {
    const sent: string[] = [];
    const acks = createAckBatcher({ maxBatch: 10, maxDelayMs: 200 });
    acks.ack("a", message("a1", sent));
    acks.ack("a", message("gone", sent, true));
    acks.ack("a", message("a2", sent));
    acks.ack("b", message("b1", sent));
    acks.flush();
    assert.deepEqual(sent, ["a1", "a2", "b1"]);
    mock.timers.tick(1_000);
    assert.deepEqual(sent, ["a1", "a2", "b1"]);
  });

  test("flush of one account sends only its batch", () => {
    const sent: string[] = [];
    const acks = createAckBatcher({ maxBatch: 10, maxDelayMs: 200 });
    acks.ack("a", message("a1", sent));
    acks.ack("b", message("b1", sent));
    acks.flush("a");
    acks.flush("nobody");
    assert.deepEqual(sent, ["a1"]);
    mock.timers.tick(200);
    assert.deepEqual(sent, ["a1", "b1"]);
  });
});
