// The pull loop's answer to pulls that find nobody: in a cluster that is an election under way,
// so it keeps pulling, and only a silence that lasts makes it ask whether the consumer is gone.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Consumer, ConsumerMessages, JsMsg } from "@nats-io/jetstream";
import pino from "pino";
import { pullBatches } from "../../src/accounts/pull-batches.js";
import { createPullTurns, type PullTurns } from "../../src/accounts/pull-turns.js";

type Answer = Error | readonly JsMsg[];

/** A consumer whose pull requests end as `answers` say, in turn; the last one repeats. */
function fakeConsumer(answers: readonly Answer[]): {
  consumer: Consumer;
  pulls: () => number;
  heartbeats: (number | undefined)[];
  asked: (number | undefined)[];
} {
  let pulls = 0;
  const heartbeats: (number | undefined)[] = [];
  const asked: (number | undefined)[] = [];
  const consumer = {
    fetch: (opts: { idle_heartbeat?: number; max_messages?: number }) => {
      heartbeats.push(opts.idle_heartbeat);
      asked.push(opts.max_messages);
      const answer = answers[Math.min(pulls, answers.length - 1)] ?? [];
      pulls++;
      const batch = {
        [Symbol.asyncIterator]: () =>
          answer instanceof Error
            ? { next: () => Promise.reject(answer) }
            : (async function* () {
                yield* await Promise.resolve(answer);
              })(),
        status: () => [][Symbol.iterator](),
        stop: () => undefined,
      };
      // A turn of the event loop per pull, as a real request takes: a loop of empty answers
      // would otherwise never let anything else run.
      return new Promise<ConsumerMessages>((resolve) => {
        setImmediate(() => {
          resolve(batch as unknown as ConsumerMessages);
        });
      });
    },
  };
  return { consumer: consumer as unknown as Consumer, pulls: () => pulls, heartbeats, asked };
}

const message = { data: new Uint8Array(10) } as unknown as JsMsg;
const noResponders = (): Error => new Error("no responders");

function loop(
  consumer: Consumer,
  consumerInfo: () => Promise<unknown>,
  confirmAfterMs: number,
  turns?: PullTurns,
) {
  return pullBatches({
    consumer,
    size: () => ({ messages: 10, bytes: 1 << 20 }),
    initialLargest: 100,
    maxPayload: 1 << 20,
    expiresMs: 1_000,
    busyHeartbeatMs: 500,
    consumerInfo,
    confirmAfterMs,
    turns: turns === undefined ? undefined : { of: turns, batch: 64 },
    logger: pino({ level: "silent" }),
  });
}

test("pulls that find nobody go on until the consumer's info says it is gone", async () => {
  const { consumer, pulls } = fakeConsumer([noResponders()]);
  let asked = 0;
  const gone = new Error("consumer not found");
  const started = Date.now();
  const batches = loop(
    consumer,
    () => {
      asked++;
      return Promise.reject(gone);
    },
    600,
  );
  await assert.rejects(
    batches.forEach(() => undefined),
    gone,
  );
  assert.equal(asked, 1, "asked once, after the silence lasted");
  assert.ok(Date.now() - started >= 600, "not before confirmAfterMs");
  assert.ok(pulls() >= 2, `pulled again meanwhile (${String(pulls())} pulls)`);
});

test("a leaderless consumer (its info times out) is pulled from until it answers again", async () => {
  const answers: Answer[] = [noResponders(), noResponders(), noResponders(), [message]];
  const { consumer } = fakeConsumer(answers);
  let asked = 0;
  const batches = loop(
    consumer,
    () => {
      asked++;
      return Promise.reject(new Error("TimeoutError: timeout"));
    },
    0,
  );
  let taken = 0;
  await batches.forEach(() => {
    taken++;
    batches.stop();
    return undefined;
  });
  assert.equal(taken, 1);
  assert.equal(asked, 3, "asked at each unanswered pull, never ended by a timeout");
});

test("a consumer deleted under an open pull ends the session at once", async () => {
  const { consumer, pulls } = fakeConsumer([new Error("consumer deleted")]);
  const batches = loop(consumer, () => Promise.resolve({}), 0);
  await assert.rejects(
    batches.forEach(() => undefined),
    /consumer deleted/,
  );
  assert.equal(pulls(), 1);
});

test("frequent heartbeats after a pull that brought messages or failed, the default after an empty one", async () => {
  const answers: Answer[] = [[], [message], [], new Error("heartbeats missed"), [], []];
  const { consumer, pulls, heartbeats } = fakeConsumer(answers);
  const batches = loop(consumer, () => Promise.resolve({}), 0);
  const done = batches.forEach(() => undefined);
  while (pulls() < answers.length) await new Promise((resolve) => setImmediate(resolve));
  batches.stop();
  await done;
  assert.deepEqual(heartbeats.slice(0, answers.length), [
    undefined,
    undefined,
    500,
    undefined,
    500,
    undefined,
  ]);
});

/** `count` messages, the last saying the consumer had `pending` more. */
function batchOf(count: number, pending: number): JsMsg[] {
  return Array.from(
    { length: count },
    (_, i) =>
      ({
        data: new Uint8Array(10),
        info: { pending: i === count - 1 ? pending : 0 },
      }) as unknown as JsMsg,
  );
}

test(
  "after a pull that came back full, the next asks for a whole batch in a turn",
  { timeout: 10_000 },
  async () => {
    const answers: Answer[] = [
      batchOf(10, 500),
      batchOf(64, 30),
      batchOf(30, 0),
      batchOf(3, 0),
      [],
    ];
    const { consumer, pulls, asked } = fakeConsumer(answers);
    const turns = createPullTurns({ turns: 1 });
    const batches = loop(consumer, () => Promise.resolve({}), 0, turns);
    // Whether a turn was held while each pull's messages were taken.
    const inTurn: boolean[] = [];
    const done = batches.forEach(() => {
      if (inTurn.length < pulls()) inTurn.push(turns.active === 1);
      return undefined;
    });
    while (pulls() < answers.length) await new Promise((resolve) => setImmediate(resolve));
    batches.stop();
    await done;
    // Full (10 of 10, 500 left): a turn of 64. Full again (30 left): a turn of 30. Full, but
    // nothing left: back to the account's share, 10, without a turn; 3 of 10 is not full.
    assert.deepEqual(asked.slice(0, answers.length), [10, 64, 30, 10, 10]);
    assert.deepEqual(inTurn, [false, true, true, false]);
    assert.equal(turns.active, 0, "every turn ended");
  },
);

test(
  "a loop waiting for a turn is stopped without pulling again",
  { timeout: 10_000 },
  async () => {
    const { consumer, pulls } = fakeConsumer([batchOf(10, 500)]);
    const turns = createPullTurns({ turns: 1 });
    const abort = new AbortController();
    const other = await turns.take(abort.signal);
    const batches = loop(consumer, () => Promise.resolve({}), 0, turns);
    const done = batches.forEach(() => undefined);
    while (turns.waiting === 0) await new Promise((resolve) => setImmediate(resolve));
    assert.equal(pulls(), 1);
    batches.stop();
    await done;
    assert.equal(pulls(), 1);
    assert.equal(turns.waiting, 0);
    other?.();
    assert.equal(turns.active, 0);
  },
);
