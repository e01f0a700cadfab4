import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { FairQueue, QueueClosedError } from "../../src/pipeline/fair-queue.js";

/** Takes until nothing is available, or `limit` items. */
function drain<T>(
  queue: FairQueue<T>,
  eligible?: (key: string) => boolean,
  limit = Number.POSITIVE_INFINITY,
): [string, T][] {
  const out: [string, T][] = [];
  while (out.length < limit) {
    const next = queue.tryTake(eligible);
    if (next === undefined) break;
    out.push([next.key, next.item]);
  }
  return out;
}

/** The keys of up to `count` takes. */
function drainN<T>(
  queue: FairQueue<T>,
  count: number,
  eligible?: (key: string) => boolean,
): string[] {
  return drain(queue, eligible, count).map(([key]) => key);
}

describe("FairQueue", () => {
  test("works without any initialisation beyond construction", async () => {
    const queue = new FairQueue<number>({ capacity: 4 });
    await queue.push("a", 1);
    assert.deepEqual(queue.tryTake(), { key: "a", item: 1 });
    assert.equal(queue.tryTake(), undefined);
  });

  test("keeps order within a key and interleaves keys round-robin", async () => {
    const queue = new FairQueue<string>({ capacity: 100 });
    for (let i = 0; i < 5; i++) await queue.push("big", `b${i}`);
    await queue.push("small", "s0");
    await queue.push("other", "o0");
    assert.deepEqual(
      drain(queue).map(([, v]) => v),
      ["b0", "s0", "o0", "b1", "b2", "b3", "b4"],
    );
    assert.equal(queue.size, 0);
  });

  test("a backlog in one key does not delay a new key's first item", async () => {
    // Long turns: the backlog must not take a whole one ahead of the new key.
    const queue = new FairQueue<string>({ capacity: 1000, burst: 64 });
    for (let i = 0; i < 500; i++) await queue.push("backlog", `b${i}`);
    queue.tryTake();
    queue.tryTake();
    await queue.push("quiet", "q");
    const firstTwo = [queue.tryTake()?.item, queue.tryTake()?.item];
    assert.ok(firstTwo.includes("q"), `quiet item came later: ${firstTwo.join(",")}`);
  });

  test("skips keys that are not eligible without losing their items", async () => {
    const queue = new FairQueue<number>({ capacity: 10 });
    await queue.push("a", 1);
    await queue.push("b", 2);
    await queue.push("a", 3);
    assert.deepEqual(
      drain(queue, (k) => k === "b"),
      [["b", 2]],
    );
    assert.deepEqual(drain(queue), [
      ["a", 1],
      ["a", 3],
    ]);
  });

  test("producers wait when full and resume as items are taken", async () => {
    const queue = new FairQueue<number>({ capacity: 2 });
    await queue.push("a", 1);
    await queue.push("a", 2);
    let admitted = false;
    const third = queue.push("a", 3).then(() => {
      admitted = true;
    });
    await Promise.resolve();
    assert.equal(admitted, false);
    assert.equal(queue.size, 2);
    queue.tryTake();
    await third;
    assert.equal(admitted, true);
    assert.equal(queue.size, 2);
  });

  test("taking from quiet keys only leaves the keys taking turns alone", async () => {
    const queue = new FairQueue<number>({ capacity: 10 });
    await queue.push("a", 1);
    await queue.push("a", 2);
    assert.deepEqual(
      queue.tryTake(() => true, "quiet"),
      { key: "a", item: 1 },
    );
    // "a" now has a backlog: it takes turns, and is not quiet any more.
    assert.equal(
      queue.tryTake(() => true, "quiet"),
      undefined,
    );
    await queue.push("b", 3);
    assert.deepEqual(
      queue.tryTake(() => true, "quiet"),
      { key: "b", item: 3 },
    );
    assert.deepEqual(queue.tryTake(), { key: "a", item: 2 });
  });

  test("bytes bound the queue as well as items, counted until the items taken are released", async () => {
    const queue = new FairQueue<number>({
      capacity: 100,
      capacityBytes: 1_000,
      bytesOf: (size) => size,
    });
    await queue.push("a", 600);
    await queue.push("a", 300);
    await queue.push("a", 200);
    assert.equal(queue.bytes, 1_100);
    let admitted = false;
    const fourth = queue.push("a", 50).then(() => {
      admitted = true;
    });
    await Promise.resolve();
    assert.equal(admitted, false, "over the byte bound, however few items");
    assert.equal(queue.size, 3);
    const first = queue.tryTake();
    assert.equal(first?.item, 600);
    await Promise.resolve();
    assert.equal(admitted, false, "a message taken still holds its bytes");
    queue.release(600);
    await fourth;
    assert.equal(queue.bytes, 550);
    // A key that holds nothing still gets its one item in, bytes or not.
    await queue.push("quiet", 5_000);
    assert.equal(queue.bytes, 5_550);
    const taken = drain(queue);
    assert.equal(
      taken.reduce((sum, [, size]) => sum + size, 0),
      5_550,
    );
    assert.equal(queue.bytes, 5_550, "until they are released");
    for (const [, size] of taken) queue.release(size);
    assert.equal(queue.bytes, 0);
    await queue.push("b", 1);
    assert.deepEqual(queue.removeKey("b"), [1]);
    assert.equal(queue.bytes, 0, "removal gives the bytes back");
  });

  test("a key at its limit waits while other keys still get room", async () => {
    const queue = new FairQueue<number>({ capacity: 100, keyLimit: 2 });
    await queue.push("a", 1);
    await queue.push("a", 2);
    let admitted = false;
    const third = queue.push("a", 3).then(() => {
      admitted = true;
    });
    await queue.push("b", 10);
    await queue.push("b", 11);
    await Promise.resolve();
    assert.equal(admitted, false, "room is left in the queue, but not for this key");
    assert.equal(queue.sizeOf("a"), 2);
    assert.deepEqual(
      queue.tryTake((key) => key === "a"),
      { key: "a", item: 1 },
    );
    await third;
    assert.deepEqual(drain(queue), [
      ["b", 10],
      ["a", 2],
      ["b", 11],
      ["a", 3],
    ]);
  });

  test("a full queue still admits one item of a key that holds nothing", async () => {
    const queue = new FairQueue<number>({ capacity: 2 });
    await queue.push("busy", 1);
    await queue.push("busy", 2);
    const blocked = queue.push("busy", 3);
    await queue.push("quiet", 10);
    assert.equal(queue.size, 3);
    let second = false;
    const quietSecond = queue.push("quiet", 11).then(() => {
      second = true;
    });
    await Promise.resolve();
    assert.equal(second, false, "the exception is one item, not a bypass of the bound");
    queue.close();
    await assert.rejects(blocked, QueueClosedError);
    await assert.rejects(quietSecond, QueueClosedError);
  });

  test("a key emptied by a take gets its waiting item in at once, full queue or not", async () => {
    const queue = new FairQueue<string>({ capacity: 2 });
    const admitted: string[] = [];
    const push = (key: string, item: string): Promise<void> =>
      queue.push(key, item).then(() => {
        admitted.push(item);
      });
    for (const [key, item] of [
      ["a", "a1"],
      ["a", "a2"],
      ["b", "b1"],
      ["c", "c1"],
    ] as const) {
      await push(key, item);
    }
    const waiting = [push("b", "b2"), push("c", "c2"), push("a", "a3")];
    admitted.length = 0;
    assert.deepEqual(
      [queue.tryTake()?.item, queue.tryTake()?.item, queue.tryTake()?.item],
      ["a1", "b1", "c1"],
    );
    await Promise.all(waiting.slice(0, 2));
    assert.deepEqual(admitted, ["b2", "c2"]);
    assert.equal(queue.size, 3);
    assert.deepEqual(
      drain(queue).map(([, item]) => item),
      ["a2", "b2", "c2", "a3"],
    );
    await waiting[2];
    assert.deepEqual(admitted, ["b2", "c2", "a3"]);
  });

  test("keys with waiting pushes take turns as room frees up", async () => {
    const queue = new FairQueue<string>({ capacity: 4 });
    for (const key of ["a", "b", "c", "d"]) await queue.push(key, `${key}1`);
    const admitted: string[] = [];
    const push = (key: string, item: string): Promise<void> =>
      queue.push(key, item).then(() => {
        admitted.push(item);
      });
    const pushes = [push("a", "a2"), push("a", "a3"), push("b", "b2")];
    queue.removeKey("d");
    queue.removeKey("c");
    await Promise.all([pushes[0], pushes[2]]);
    assert.deepEqual(admitted, ["a2", "b2"], "b's turn comes before a's second item");
    assert.equal(queue.size, 4);
    queue.close();
    await assert.rejects(pushes[1] ?? Promise.resolve(), QueueClosedError);
  });

  test("keys that empty and refill on every take do not starve a key with a backlog", async () => {
    const queue = new FairQueue<string>({ capacity: 6 });
    for (let i = 0; i < 6; i++) await queue.push("backlog", `b${i}`);
    // Producers like the pull loops: each pushes its next item as soon as the last got in.
    const producers = ["p", "q", "r"].map(async (key) => {
      for (let i = 0; i < 20; i++) {
        await queue.push(key, `${key}${i}`).catch(() => undefined);
        if (queue.closed) return;
      }
    });
    const taken: string[] = [];
    for (let i = 0; i < 20; i++) {
      await new Promise((resolve) => setImmediate(resolve));
      const next = queue.tryTake();
      if (next !== undefined) taken.push(next.key);
    }
    queue.close();
    await Promise.all(producers);
    const backlogTurns = taken.filter((key) => key === "backlog").length;
    assert.ok(backlogTurns >= 4, `backlog taken ${backlogTurns} times in ${taken.join(",")}`);
  });

  test("takes up to `burst` items from one key before the turn passes on", async () => {
    const queue = new FairQueue<string>({ capacity: 100, burst: 3 });
    for (let i = 0; i < 5; i++) await queue.push("a", `a${i}`);
    for (let i = 0; i < 2; i++) await queue.push("b", `b${i}`);
    await queue.push("c", "c0");
    // Each key's first item while it is new, then turns of three.
    assert.deepEqual(
      drain(queue).map(([, v]) => v),
      ["a0", "b0", "c0", "a1", "a2", "a3", "b1", "a4"],
    );
  });

  test("with costOf, a key of costly items takes fewer of them per turn", async () => {
    // Items are their own cost: "big" items cost 4 of a turn of 4, small ones 1.
    const queue = new FairQueue<number>({ capacity: 100, burst: 4, costOf: (cost) => cost });
    for (let i = 0; i < 4; i++) await queue.push("big", 4);
    for (let i = 0; i < 8; i++) await queue.push("small", 1);
    assert.deepEqual(drainN(queue, 12), [
      // Each key's first item while it is new, then one big item or four small ones a turn.
      "big",
      "small",
      "big",
      "small",
      "small",
      "small",
      "small",
      "big",
      "small",
      "small",
      "small",
      "big",
    ]);
  });

  test("a turn lasts the whole burst while the key's producer keeps up, however few it holds", async () => {
    // Room for one item per key: without its room back first, each turn would be one item.
    const queue = new FairQueue<string>({ capacity: 3, burst: 4 });
    for (const key of ["a", "b", "c"]) await queue.push(key, `${key}0`);
    const waits: Promise<void>[] = [];
    for (let i = 1; i < 6; i++)
      for (const key of ["a", "b", "c"]) waits.push(queue.push(key, `${key}${i}`));
    const taken = drain(queue).map(([, item]) => item);
    assert.deepEqual(taken, [
      ...["a0", "b0", "c0"],
      ...["a1", "a2", "a3", "a4"],
      ...["b1", "b2", "b3", "b4"],
      ...["c1", "c2", "c3", "c4"],
      ...["a5", "b5", "c5"],
    ]);
    await Promise.all(waits);
  });

  test("while the turn's key is at its limit, the next keys take their next turn early", async () => {
    const queue = new FairQueue<string>({ capacity: 100, burst: 4 });
    for (const key of ["a", "b", "c"]) for (let i = 0; i < 20; i++) await queue.push(key, key);
    // Each key's first item comes while it is new; then the ring's turns go a, b, c.
    assert.equal(drainN(queue, 3).join(""), "abc");
    assert.equal(drainN(queue, 12).join(""), "aaaabbbbcccc");
    // a is at its limit: b and c each take one turn early.
    assert.equal(drainN(queue, 8, (key) => key !== "a").join(""), "bbbbcccc");
    // Their next turns were spent early, so a has two in a row.
    assert.equal(drainN(queue, 16).join(""), "aaaaaaaabbbbcccc");
  });

  test("a turn's key that cannot take at all does not stall the others", async () => {
    const queue = new FairQueue<string>({ capacity: 200, burst: 4 });
    for (const key of ["a", "b", "c"]) for (let i = 0; i < 40; i++) await queue.push(key, key);
    assert.equal(drainN(queue, 15).join(""), "abcaaaabbbbcccc");
    // a's receiver is down for a long while.
    const taken = drainN(queue, 40, (key) => key !== "a");
    assert.equal(taken.length, 40);
    assert.equal(taken.filter((key) => key === "b").length, 20);
    assert.equal(drainN(queue, 4).join(""), "aaaa");
  });

  test("a quiet key's item is taken next, however long the busy keys' turns", async () => {
    const burst = 64;
    const queue = new FairQueue<string>({ capacity: 100 * burst, burst });
    for (let k = 0; k < 100; k++) {
      for (let i = 0; i < burst * 2; i++) void queue.push(`busy${k}`, `busy${k}-${i}`);
    }
    // Every busy key has had its first item out of turn and takes turns in the ring.
    for (let i = 0; i < 100 * burst + 1000; i++) queue.tryTake();
    await queue.push("quiet", "q0");
    assert.deepEqual(queue.tryTake(), { key: "quiet", item: "q0" });
    for (let i = 0; i < 300; i++) queue.tryTake();
    await queue.push("quiet", "q1");
    assert.deepEqual(queue.tryTake(), { key: "quiet", item: "q1" });
    queue.close();
  });

  test("a quiet key that is not eligible waits without holding up the others", async () => {
    const queue = new FairQueue<string>({ capacity: 10, burst: 2 });
    await queue.push("busy", "b0");
    queue.tryTake();
    await queue.push("busy", "b1");
    await queue.push("quiet", "q0");
    assert.deepEqual(
      queue.tryTake((key) => key !== "quiet"),
      { key: "busy", item: "b1" },
    );
    assert.deepEqual(queue.tryTake(), { key: "quiet", item: "q0" });
  });

  test("a key that runs dry after every take gets at most about twice its share", async () => {
    const burst = 4;
    const queue = new FairQueue<string>({ capacity: 2000, burst });
    const backlogs = ["a", "b", "c", "d"];
    for (const key of backlogs) for (let i = 0; i < 400; i++) await queue.push(key, key);
    // Its producer refills it the moment its one item is taken, so it is new again and again.
    await queue.push("dry", "dry");
    const counts = new Map<string, number>();
    for (let i = 0; i < 1000; i++) {
      const next = queue.tryTake();
      assert.ok(next !== undefined);
      counts.set(next.key, (counts.get(next.key) ?? 0) + 1);
      if (next.key === "dry") await queue.push("dry", "dry");
    }
    const dry = counts.get("dry") ?? 0;
    // An even share is a fifth of the takes.
    assert.ok(dry <= 400, `the key that runs dry had ${dry} of 1000 takes`);
    assert.ok(dry >= 150, `the key that runs dry had only ${dry} of 1000 takes`);
    for (const key of backlogs) {
      const got = counts.get(key) ?? 0;
      assert.ok(got >= 150, `${key} had ${got} of 1000 takes`);
    }
  });

  test("a key that filled the queue early gives way until the others hold their share", async () => {
    const queue = new FairQueue<string>({ capacity: 8 });
    for (let i = 0; i < 8; i++) await queue.push("early", `e${i}`);
    const late = ["b", "c", "d"];
    // Each late key gets its first item in by the exception, then waits with a second.
    for (const key of late) await queue.push(key, `${key}0`);
    const waits = [queue.push("early", "e8"), ...late.map((key) => queue.push(key, `${key}1`))];
    const admitted: string[] = [];
    waits.forEach((wait, i) => {
      wait.then(
        () => admitted.push(i === 0 ? "early" : (late[i - 1] ?? "")),
        () => undefined,
      );
    });
    // Three takes free the room the late keys wait for; early is over its share of 8 / 4.
    for (let i = 0; i < 6; i++) {
      queue.tryTake();
      await Promise.resolve();
    }
    await Promise.resolve();
    assert.deepEqual(admitted.slice().sort(), ["b", "c", "d"]);
    assert.ok(queue.sizeOf("early") > 2, "early was not topped up meanwhile");
    queue.close();
    await assert.rejects(waits[0] ?? Promise.resolve(), QueueClosedError);
  });

  test("changed() resolves on push and on wake", async () => {
    const queue = new FairQueue<number>({ capacity: 2 });
    const onPush = queue.changed();
    await queue.push("a", 1);
    await onPush;
    const onWake = queue.changed();
    queue.wake();
    await onWake;
  });

  test("removeKey rejects that key's waiting push and leaves nothing behind", async () => {
    const queue = new FairQueue<number>({ capacity: 1 });
    await queue.push("a", 1);
    const pending = queue.push("a", 2);
    assert.deepEqual(queue.removeKey("a"), [1]);
    await assert.rejects(pending, QueueClosedError);
    assert.equal(queue.size, 0);
    assert.equal(queue.tryTake(), undefined);
  });

  test("removeKey returns that key's items only", async () => {
    const queue = new FairQueue<number>({ capacity: 10 });
    await queue.push("a", 1);
    await queue.push("b", 2);
    await queue.push("a", 3);
    assert.deepEqual(queue.removeKey("a"), [1, 3]);
    assert.equal(queue.size, 1);
    assert.deepEqual(drain(queue), [["b", 2]]);
  });

  test("close returns every held item and rejects later pushes", async () => {
    const queue = new FairQueue<number>({ capacity: 10 });
    await queue.push("a", 1);
    await queue.push("b", 2);
    const reader = queue.changed();
    queue.wake();
    await reader;
    assert.deepEqual(queue.close().sort(), [1, 2]);
    assert.equal(queue.size, 0);
    await assert.rejects(queue.push("a", 3), QueueClosedError);
  });

  test("rejects a capacity that is not a positive integer", () => {
    assert.throws(() => new FairQueue({ capacity: 0 }), RangeError);
    assert.throws(() => new FairQueue({ capacity: 1.5 }), RangeError);
    assert.throws(() => new FairQueue({ capacity: 1, burst: 0 }), RangeError);
    assert.throws(() => new FairQueue({ capacity: 1, keyLimit: 0 }), RangeError);
  });
});
