/**
 * The header `dlq replay` puts on a message it publishes back: the stream and sequence of the
 * message it was dead-lettered from, `<stream> <sequence>`. The daemon then delivers the replay
 * with the original's webhook-id. Anyone who can publish to the stream can set it, so it is
 * honoured only where it cannot reach outside its own account's ids: see replayedSequence().
 */
export const REPLAY_OF_HEADER = "streamhook-replay-of";

/** A stream name (at most 255 characters, no whitespace, `.`, `*` or `>`), a space, a sequence. */
const REPLAY_OF = /^([^\s.*>]{1,255}) ([1-9][0-9]{0,15})$/;
const MAX_REPLAY_OF = 255 + 1 + 16;

export function formatReplayOf(stream: string, sequence: number): string {
  return `${stream} ${sequence}`;
}

/**
 * The sequence whose webhook-id a message of `stream` at `ownSequence` is delivered with: the one
 * its replay header names when that header is well-formed, names this same stream, and names an
 * earlier sequence (a replay is always published after its original); otherwise its own. The id
 * is then derived from the account's own id prefix, so a forged header can at most repeat an id
 * of its own account, never take one of another. An invalid header is ignored, never an error.
 */
export function replayedSequence(
  header: string | undefined,
  stream: string,
  ownSequence: number,
): number {
  if (header === undefined || header === "" || header.length > MAX_REPLAY_OF) return ownSequence;
  const match = REPLAY_OF.exec(header);
  if (match === null || match[1] !== stream) return ownSequence;
  const sequence = Number(match[2]);
  return Number.isSafeInteger(sequence) && sequence < ownSequence ? sequence : ownSequence;
}
