import type { JetStreamManager, MsgRequest } from "@nats-io/jetstream";
import { deadLetterOf, type DeadLetter } from "./record.js";

export interface ReadDeadLettersOptions {
  readonly account: string;
  readonly jsm: JetStreamManager;
  /** The stream that captures the DLQ subject. */
  readonly stream: string;
  /** The account's DLQ subject, always a literal one: the daemon publishes to it. */
  readonly subject: string;
}

/**
 * Every message on the DLQ subject, oldest first, read one at a time by sequence: no consumer is
 * created, so nothing of the daemon's is disturbed and nothing is left behind on the server. The
 * walk ends at the stream's last sequence when it began, so what is dead-lettered meanwhile (a
 * replay failing again, when the DLQ shares the account's stream) is left for the next run.
 */
export async function* readDeadLetters(
  options: ReadDeadLettersOptions,
): AsyncGenerator<DeadLetter> {
  const { jsm, stream, subject } = options;
  const { state } = await jsm.streams.info(stream);
  let seq = state.first_seq;
  while (seq <= state.last_seq) {
    // The server's message get takes next_by_subj (nats-server 2.9 and later); the client's
    // types list it only for direct gets, which need allow_direct on the stream.
    const query = { seq, next_by_subj: subject } as unknown as MsgRequest;
    const stored = await jsm.streams.getMessage(stream, query);
    if (stored === null || stored.seq > state.last_seq) return;
    // A server that ignored next_by_subj would hand back any message: never take it for one.
    if (stored.subject === subject) yield deadLetterOf(options.account, stream, stored);
    seq = stored.seq + 1;
  }
}
