import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { setTimeout as delay } from "node:timers/promises";
import type { BreakerState } from "../../src/delivery/breaker.js";
import { createMetrics, type MetricsAccount } from "../../src/observability/metrics.js";

function lines(text: string, prefix: string): string[] {
  return text.split("\n").filter((line) => line.startsWith(prefix));
}

describe("metrics", () => {
  test("a removed account's series disappear; the others stay", async () => {
    const breakers = new Map<string, BreakerState>([["http://r:1", "open"]]);
    let accounts: MetricsAccount[] = [
      { name: "a", state: "running", reason: undefined, since: 0, inflight: 2, breakers },
      {
        name: "b",
        state: "waiting",
        reason: "stream not found",
        since: 0,
        inflight: 0,
        breakers: new Map(),
      },
    ];
    const metrics = createMetrics({ queueDepth: () => 7, accounts: () => accounts });
    metrics.received("a");
    metrics.received("b");
    metrics.received("b");
    metrics.consumerBacklog("b", { pending: 12, ackPending: 3 });
    let text = (await metrics.scrape()).body;
    assert.deepEqual(lines(text, "streamhook_messages_received_total{"), [
      'streamhook_messages_received_total{account="a"} 1',
      'streamhook_messages_received_total{account="b"} 2',
    ]);
    assert.deepEqual(lines(text, "streamhook_account_up{"), [
      'streamhook_account_up{account="a"} 1',
      'streamhook_account_up{account="b"} 0',
    ]);
    assert.deepEqual(lines(text, "streamhook_account_state{"), [
      'streamhook_account_state{account="a",state="running"} 1',
      'streamhook_account_state{account="b",state="waiting"} 1',
    ]);
    assert.deepEqual(lines(text, "streamhook_consumer_pending{"), [
      'streamhook_consumer_pending{account="b"} 12',
    ]);
    assert.deepEqual(lines(text, "streamhook_breaker_open{"), [
      'streamhook_breaker_open{account="a",origin="http://r:1"} 1',
    ]);
    assert.deepEqual(lines(text, "streamhook_queue_depth "), ["streamhook_queue_depth 7"]);
    assert.deepEqual(lines(text, "streamhook_inflight_deliveries{"), [
      'streamhook_inflight_deliveries{account="a"} 2',
      'streamhook_inflight_deliveries{account="b"} 0',
    ]);
    assert.deepEqual(metrics.figures("b").backlog, { pending: 12, ackPending: 3 });

    accounts = accounts.filter((a) => a.name !== "b");
    metrics.forget("b");
    text = (await metrics.scrape()).body;
    assert.ok(!text.includes('account="b"'), "no series of the removed account");
    assert.deepEqual(lines(text, "streamhook_messages_received_total{"), [
      'streamhook_messages_received_total{account="a"} 1',
    ]);
    assert.equal(metrics.figures("b").backlog, undefined);
  });

  test("the event-loop lag still shows a stall of the loop", async () => {
    const metrics = createMetrics({ queueDepth: () => 0, accounts: () => [] });
    const lagMax = async (): Promise<number> => {
      const [line] = lines((await metrics.scrape()).body, "nodejs_eventloop_lag_max_seconds ");
      return Number(line?.split(" ")[1] ?? Number.NaN);
    };
    // The sampler's first tick only starts its clock. A timer longer than its interval fires
    // after that tick, whatever the machine's load, because timers fire in order of due time.
    await delay(150);
    // Block the loop for longer than the sampling interval: the next sample arrives that late.
    const until = performance.now() + 300;
    while (performance.now() < until) {
      // busy
    }
    // The sampler's timer is overdue now and fires before any timer set from here; a scrape
    // before it would reset the histogram and its clock.
    await delay(1);
    assert.ok((await lagMax()) >= 0.25, "the stall is in nodejs_eventloop_lag_max_seconds");
  });
});
