// Reading back the dead letters the daemon published into an account's own stream.
import type { JetStreamManager, StoredMsg } from "@nats-io/jetstream";
import { DLQ_SUBJECT_PREFIX, STREAM } from "./events.js";
import type { SeenDeadLetter } from "./expectations.js";

function deadLetterOf(account: string, stored: StoredMsg): SeenDeadLetter {
  const header = (name: string): string | undefined =>
    stored.header.has(name) ? stored.header.get(name) : undefined;
  return {
    account,
    subject: stored.subject,
    data: new TextDecoder().decode(stored.data),
    reason: header("streamhook-dlq-reason"),
    attempts: header("streamhook-dlq-attempts"),
    originalSubject: header("streamhook-subject"),
    tenant: header("streamhook-tenant"),
  };
}

/**
 * The DLQ messages of one account. The stream is tiny, so it is scanned by sequence; the scan is
 * repeated only when the number of DLQ messages changed, as it is polled while the demo waits.
 */
export class DeadLetterReader {
  private found: SeenDeadLetter[] = [];

  constructor(
    private readonly account: string,
    private readonly jsm: JetStreamManager,
  ) {}

  get deadLetters(): readonly SeenDeadLetter[] {
    return this.found;
  }

  /** Reads what is new; returns the dead letters not seen before. */
  async refresh(): Promise<SeenDeadLetter[]> {
    const info = await this.jsm.streams.info(STREAM, {
      subjects_filter: `${DLQ_SUBJECT_PREFIX}>`,
    });
    const count = Object.values(info.state.subjects ?? {}).reduce((sum, n) => sum + n, 0);
    if (count === this.found.length) return [];
    const all: SeenDeadLetter[] = [];
    for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
      const stored = await this.jsm.streams.getMessage(STREAM, { seq });
      if (stored?.subject.startsWith(DLQ_SUBJECT_PREFIX) === true) {
        all.push(deadLetterOf(this.account, stored));
      }
    }
    const fresh = all.slice(this.found.length);
    this.found = all;
    return fresh;
  }
}
