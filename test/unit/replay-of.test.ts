import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { headers as natsHeaders } from "@nats-io/transport-node";
import { REPLAY_OF_HEADER, replayedSequence } from "../../src/delivery/replay-of.js";
import { messageWebhookId, webhookId, webhookIdPrefix } from "../../src/delivery/webhook-id.js";

const acme = { idPrefix: webhookIdPrefix("acme", "EVENTS", "t0"), stream: "EVENTS" };
const other = { idPrefix: webhookIdPrefix("other", "EVENTS", "t0"), stream: "EVENTS" };

function msg(
  seq: number,
  replayOf?: string,
): { seq: number; headers?: ReturnType<typeof natsHeaders> } {
  if (replayOf === undefined) return { seq };
  const headers = natsHeaders();
  headers.set(REPLAY_OF_HEADER, replayOf);
  return { seq, headers };
}

describe("the replay header and the webhook-id", () => {
  test("a replay of an earlier message of the same stream keeps that message's id", () => {
    assert.equal(messageWebhookId(acme, msg(40, "EVENTS 7")), messageWebhookId(acme, msg(7)));
    assert.equal(messageWebhookId(acme, msg(40, "EVENTS 7")), webhookId(acme.idPrefix, 7));
  });

  test("without the header, or with one that is not honoured, a message has its own id", () => {
    const own = webhookId(acme.idPrefix, 40);
    for (const value of [
      "",
      "OTHER 7", // another stream
      "EVENTS 40", // not lower than its own sequence
      "EVENTS 41",
      "EVENTS 0",
      "EVENTS 07", // not canonical
      "EVENTS -1",
      "EVENTS 7 ",
      " EVENTS 7",
      "EVENTS  7",
      "EVENTS\t7",
      "EVENTS 7.5",
      "EVENTS 1e3",
      "EVENTS 99999999999999999", // beyond a safe integer
      "EVENTS",
      "7",
      `${"E".repeat(300)} 7`,
      "EVENTS 7\r\nx: y",
    ]) {
      // Tested on the parser: the header codec trims values before the daemon sees them.
      assert.equal(replayedSequence(value, "EVENTS", 40), 40, JSON.stringify(value));
    }
    for (const value of ["OTHER 7", "EVENTS 40", "EVENTS 41", "EVENTS 0", "EVENTS x"]) {
      assert.equal(messageWebhookId(acme, msg(40, value)), own, value);
    }
    assert.equal(messageWebhookId(acme, msg(40)), own);
    assert.equal(messageWebhookId(acme, { seq: 40, headers: natsHeaders() }), own);
  });

  test("the sequence named must be a positive integer below the message's own", () => {
    assert.equal(replayedSequence("EVENTS 39", "EVENTS", 40), 39);
    assert.equal(replayedSequence("EVENTS 1", "EVENTS", 2), 1);
    assert.equal(replayedSequence("EVENTS 1", "EVENTS", 1), 1);
    assert.equal(replayedSequence("EVENTS 2", "EVENTS", 1), 1);
    assert.equal(replayedSequence(undefined, "EVENTS", 5), 5);
  });

  test("no header can make a message carry an id of another account", () => {
    // Every id of `other` for the first sequences, against every id an acme message can get by
    // any replay header: the account's own prefix is always kept, so none can be equal.
    const othersIds = new Set<string>();
    for (let seq = 1; seq <= 200; seq++) othersIds.add(webhookId(other.idPrefix, seq));
    for (let seq = 1; seq <= 200; seq++) {
      for (const value of [`EVENTS ${seq - 1}`, `EVENTS ${seq}`, "EVENTS 1", "OTHER 1"]) {
        const id = messageWebhookId(acme, msg(seq, value));
        assert.ok(id.startsWith(acme.idPrefix), id);
        assert.ok(!othersIds.has(id), `${value} at ${seq} gave another account's id ${id}`);
      }
    }
    // The prefix has a fixed length, so no sequence digits can make one prefix look like another.
    assert.equal(acme.idPrefix.length, other.idPrefix.length);
    assert.notEqual(acme.idPrefix, other.idPrefix);
  });
});
