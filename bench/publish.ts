// Filling streams: bulk with bounded outstanding JetStream publishes, or paced at a steady rate.
import { setTimeout as delay } from "node:timers/promises";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { STREAM } from "./settings.js";

/** Publishes `count` messages with at most `window` acks outstanding, each awaited. */
export async function publishBulk(
  nc: NatsConnection,
  subject: string,
  count: number,
  make: (i: number) => Uint8Array,
  window = 1_000,
): Promise<void> {
  const js = jetstream(nc);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      await js.publish(subject, make(i));
    }
  };
  await Promise.all(Array.from({ length: Math.min(window, count) }, lane));
}

/** The number of messages the stream holds. */
export async function streamMessages(nc: NatsConnection): Promise<number> {
  const jsm = await jetstreamManager(nc);
  return (await jsm.streams.info(STREAM)).state.messages;
}

/**
 * Core-publishes at `rate` messages per second for `durationMs`, each made (and so stamped) just
 * before it is sent; a 1 ms tick keeps bursts to a few messages. Returns how many were sent.
 */
export async function publishPaced(
  nc: NatsConnection,
  subject: string,
  rate: number,
  durationMs: number,
  make: (i: number) => Uint8Array,
): Promise<number> {
  const started = performance.now();
  let sent = 0;
  for (;;) {
    const elapsed = Math.min(performance.now() - started, durationMs);
    const due = Math.floor((elapsed * rate) / 1000);
    while (sent < due) nc.publish(subject, make(sent++));
    if (elapsed >= durationMs) break;
    await delay(1);
  }
  await nc.flush();
  return sent;
}
