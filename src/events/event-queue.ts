import { Fifo } from "../pipeline/fifo.js";
import type { EncodedEvent } from "./operator-event.js";

export interface EventQueueOptions {
  /** Events held at most. */
  readonly capacity: number;
  /** Body bytes held at most. */
  readonly capacityBytes: number;
}

/**
 * The events waiting to be sent, bounded in count and bytes. When full, the oldest go: an
 * operator wants to know how things stand now more than how they stood before the receiver
 * went away. What is dropped is returned, for counting.
 */
export class EventQueue {
  readonly #items = new Fifo<EncodedEvent>();
  readonly #options: EventQueueOptions;
  #bytes = 0;

  constructor(options: EventQueueOptions) {
    this.#options = options;
  }

  get length(): number {
    return this.#items.length;
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** Adds `event`, dropping the oldest until it fits; an event larger than the budget alone is dropped itself. */
  push(event: EncodedEvent): EncodedEvent[] {
    if (event.body.length > this.#options.capacityBytes) return [event];
    const dropped: EncodedEvent[] = [];
    while (
      this.#items.length >= this.#options.capacity ||
      this.#bytes + event.body.length > this.#options.capacityBytes
    ) {
      const oldest = this.#items.shift();
      if (oldest === undefined) break;
      this.#bytes -= oldest.body.length;
      dropped.push(oldest);
    }
    this.#items.push(event);
    this.#bytes += event.body.length;
    return dropped;
  }

  shift(): EncodedEvent | undefined {
    const event = this.#items.shift();
    if (event !== undefined) this.#bytes -= event.body.length;
    return event;
  }

  /** Removes and returns everything, oldest first. */
  clear(): EncodedEvent[] {
    this.#bytes = 0;
    return this.#items.clear();
  }
}
