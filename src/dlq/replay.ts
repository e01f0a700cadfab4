import { JetStreamApiCodes, JetStreamApiError } from "@nats-io/jetstream";
import type { Config } from "../config/types.js";
import { jsonPrinter, tablePrinter, type DeadLetterPrinter, type Out } from "./output.js";
import { forEachQueue, selectAccounts, type DeadLetterQueue } from "./queue.js";
import { readDeadLetters } from "./reader.js";
import type { DeadLetter } from "./record.js";
import { replayPlan, type ReplayTarget } from "./replay-message.js";
import { selects, type Selection } from "./selection.js";

export interface RunDlqReplayOptions {
  readonly selection: Selection;
  /** List what would be replayed (checking each can be), change nothing. */
  readonly dryRun: boolean;
  readonly json: boolean;
  readonly out: Out;
  readonly err: Out;
  /** Aborted by SIGINT/SIGTERM: nothing new is selected, what is in flight finishes. */
  readonly signal: AbortSignal;
  /** When the replay started, for `sinceMs`. Default now. */
  readonly nowMs?: number;
}

/** Publishes in flight at once: enough to hide a round trip, few enough to spare the server. */
const IN_FLIGHT = 4;
/** Failures listed in the JSON summary; `failed` counts them all, stderr names each. */
const MAX_LISTED_FAILURES = 100;

interface Failure {
  readonly account: string;
  readonly dlq_sequence: number | null;
  readonly error: string;
}

/**
 * The `dlq replay --json` summary. In a dry run `replayed` is 0 and `dead_letters` lists those
 * that would be replayed.
 */
interface ReplaySummary {
  dry_run: boolean;
  selected: number;
  replayed: number;
  /** Selected dead letters that could not be replayed. */
  failed: number;
  /** Selected accounts whose DLQ could not be read at all. */
  unreadable_accounts: number;
  interrupted: boolean;
  failures: Failure[];
}

const describe = (error: unknown): string =>
  error instanceof Error ? error.message : String(error);

/**
 * Replays one dead letter: publishes it back into the account's stream, awaits the stream's ack,
 * and only then deletes it from the DLQ, so a kill in between leaves a duplicate (same webhook-id,
 * and the same Nats-Msg-Id within the duplicate window), never a loss. Resolves with why it could
 * not be replayed, or undefined; never rejects.
 */
async function replayOne(
  queue: DeadLetterQueue,
  target: ReplayTarget,
  d: DeadLetter,
  dryRun: boolean,
): Promise<string | undefined> {
  const { stream } = target;
  const plan = replayPlan(d, target);
  if (!plan.ok) return plan.error;
  // The subject is tenant input: it is published to only when the account's stream stores it,
  // never to a service or an API subject the account's credentials happen to reach.
  let capturing: string;
  try {
    capturing = await queue.jsm.streams.find(plan.subject);
  } catch {
    return `no stream captures its original subject ${plan.subject} any more`;
  }
  if (capturing !== stream) {
    return `its original subject ${plan.subject} is captured by stream ${capturing}, not the account's stream ${stream}`;
  }
  if (dryRun) return undefined;
  try {
    await queue.js.publish(plan.subject, d.data, {
      headers: plan.headers,
      msgID: plan.msgId,
      expect: { streamName: stream },
    });
  } catch (error) {
    return `publishing to ${plan.subject} failed: ${describe(error)}`;
  }
  try {
    await queue.jsm.streams.deleteMessage(d.dlqStream, d.dlqSequence, false);
  } catch (error) {
    // Gone already: another replay got there first, which is as good.
    if (error instanceof JetStreamApiError && error.code === JetStreamApiCodes.NoMessageFound) {
      return undefined;
    }
    return `replayed, but not deleted from ${d.dlqStream} (a later replay repeats it, with the same webhook-id): ${describe(error)}`;
  }
  return undefined;
}

/**
 * `dlq replay`: publishes the selected dead letters back to their original subjects, a few at a
 * time. Prints how many were replayed (with `--json`, a summary and nothing else on stdout); each
 * failure goes to stderr. Exit 0 when every selected dead letter was replayed (or, in a dry run,
 * could be), 1 when some could not be or a signal cut the replay short.
 */
export async function runDlqReplay(config: Config, options: RunDlqReplayOptions): Promise<number> {
  const { selection, dryRun, json, out, err, signal } = options;
  const nowMs = options.nowMs ?? Date.now();
  const summary: ReplaySummary = {
    dry_run: dryRun,
    selected: 0,
    replayed: 0,
    failed: 0,
    unreadable_accounts: 0,
    interrupted: false,
    failures: [],
  };
  const fail = (account: string, dlqSequence: number | null, error: string): void => {
    summary.failed++;
    if (summary.failures.length < MAX_LISTED_FAILURES) {
      summary.failures.push({ account, dlq_sequence: dlqSequence, error });
    }
    err.write(
      `${account}${dlqSequence === null ? "" : ` DLQ sequence ${dlqSequence}`}: ${error}\n`,
    );
  };

  // A function, not a property read: a signal can arrive at any await in between.
  const stopped = (): boolean => signal.aborted;
  const selected = selectAccounts(config, selection.account);
  let listing: DeadLetterPrinter | undefined;
  if (dryRun && json) {
    out.write('{"dead_letters":');
    listing = jsonPrinter(out);
  } else if (dryRun) {
    listing = tablePrinter(
      out,
      selected.accounts.map((a) => a.name),
    );
  }

  summary.unreadable_accounts = await forEachQueue(selected, err, async (queue) => {
    if (stopped()) return;
    const { stream } = queue.account;
    const target = {
      stream,
      createdMs: Date.parse((await queue.jsm.streams.info(stream)).created),
    };
    const inFlight = new Set<Promise<void>>();
    const settle = (d: DeadLetter, error: string | undefined): void => {
      if (error !== undefined) fail(d.account, d.dlqSequence, error);
      else if (listing !== undefined) listing.add(d);
      else summary.replayed++;
    };
    try {
      for await (const d of readDeadLetters({ ...queue, account: queue.account.name })) {
        if (stopped()) break;
        if (!selects(selection, d, nowMs)) continue;
        summary.selected++;
        const task: Promise<void> = replayOne(queue, target, d, dryRun)
          .then((error) => {
            settle(d, error);
          })
          .finally(() => {
            inFlight.delete(task);
          });
        inFlight.add(task);
        while (inFlight.size >= IN_FLIGHT) await Promise.race(inFlight);
      }
    } finally {
      // Whatever ends the walk, the publishes already started are finished and counted.
      await Promise.all(inFlight);
    }
  });
  summary.interrupted = signal.aborted;

  if (json) {
    const body = JSON.stringify(summary);
    if (listing !== undefined) {
      listing.end();
      out.write(`,${body.slice(1)}\n`);
    } else {
      out.write(`${body}\n`);
    }
  } else {
    const done = dryRun
      ? `would replay ${listing?.count ?? 0} of ${summary.selected} dead letters`
      : `replayed ${summary.replayed} of ${summary.selected} dead letters`;
    const notes = [
      ...(summary.failed > 0 ? [`${summary.failed} could not be (each named on stderr)`] : []),
      ...(summary.unreadable_accounts > 0
        ? [`${summary.unreadable_accounts} accounts could not be read (named on stderr)`]
        : []),
      ...(summary.interrupted ? ["interrupted by a signal: the rest were not selected"] : []),
    ];
    out.write(`${[done, ...notes].join("; ")}\n`);
  }
  const complete =
    summary.failed === 0 && summary.unreadable_accounts === 0 && !summary.interrupted;
  return complete ? 0 : 1;
}
