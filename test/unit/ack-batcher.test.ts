import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { JsMsg } from "@nats-io/jetstream";
import { createAckBatcher } from "../../src/delivery/ack-batcher.js";

/** A message that records its ack in `log` under `name`, or throws as on a closed connection. */
function message(name: string, log: string[], fails = false): JsMsg {
  return {
    ack() {
      if (fails) throw new Error("connection closed");
      log.push(name);
    },
  } as unknown as JsMsg;
}

const endOfTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe("createAckBatcher", () => {
  test("holds the acks of one turn and sends them together at its end", async () => {
    const sent: string[] = [];
    const { ack } = createAckBatcher();
    ack(message("a1", sent));
    ack(message("b1", sent));
    await Promise.resolve();
    assert.deepEqual(sent, [], "nothing is sent within the turn");
    await endOfTurn();
    assert.deepEqual(sent, ["a1", "b1"]);
    // The next ack is the next turn's batch.
    ack(message("a2", sent));
    await endOfTurn();
    assert.deepEqual(sent, ["a1", "b1", "a2"]);
  });

  test("flush sends now, and nothing is sent twice at the end of the turn", async () => {
    const sent: string[] = [];
    const acks = createAckBatcher();
    acks.ack(message("a1", sent));
    acks.flush();
    assert.deepEqual(sent, ["a1"]);
    acks.flush();
    await endOfTurn();
    assert.deepEqual(sent, ["a1"]);
  });

  test("an ack that throws does not stop the others", async () => {
    const sent: string[] = [];
    const { ack } = createAckBatcher();
    ack(message("a1", sent));
    ack(message("gone", sent, true));
    ack(message("a2", sent));
    await endOfTurn();
    assert.deepEqual(sent, ["a1", "a2"]);
  });
});
