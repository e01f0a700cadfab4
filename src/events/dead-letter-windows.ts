import type { EventSubject } from "./operator-event.js";

/** What one `message.dead_lettered` event reports: an account's dead letters by reason. */
export interface DeadLetterSummary {
  readonly subject: EventSubject;
  readonly counts: Readonly<Record<string, number>>;
}

interface Window {
  subject: EventSubject;
  readonly counts: Record<string, number>;
  readonly endsAt: number;
}

/**
 * Coalesces dead letters into at most one event per account per window (10 s by default): the
 * first dead letter of an account opens its window, every one until it ends is counted, and the
 * counts are reported when it ends. A burst of thousands is one event, and the next window opens
 * only with the next dead letter, so two events of one account are always a window apart.
 * Windows are kept per account that has dead letters now, so their number is bounded by the
 * accounts, and their counts by the reasons.
 */
export class DeadLetterWindows {
  readonly #windowMs: number;
  readonly #open = new Map<string, Window>();

  constructor(windowMs: number) {
    this.#windowMs = windowMs;
  }

  /** Counts one dead letter; returns when its window ends if this opened one, else undefined. */
  record(subject: EventSubject, reason: string, nowMs: number): number | undefined {
    const window = this.#open.get(subject.account);
    if (window !== undefined) {
      window.counts[reason] = (window.counts[reason] ?? 0) + 1;
      // The account's latest settings name its tenant.
      window.subject = subject;
      return undefined;
    }
    const endsAt = nowMs + this.#windowMs;
    // No prototype: a reason is a plain key, whatever its name.
    const counts = Object.create(null) as Record<string, number>;
    counts[reason] = 1;
    this.#open.set(subject.account, { subject, counts, endsAt });
    return endsAt;
  }

  /** Closes and returns the windows that have ended by `nowMs`. */
  take(nowMs: number): DeadLetterSummary[] {
    const ended: DeadLetterSummary[] = [];
    for (const [account, window] of this.#open) {
      if (window.endsAt > nowMs) continue;
      this.#open.delete(account);
      ended.push({ subject: window.subject, counts: { ...window.counts } });
    }
    return ended;
  }

  /** Closes and returns every window, ended or not: at shutdown. */
  takeAll(): DeadLetterSummary[] {
    return this.take(Number.POSITIVE_INFINITY);
  }
}
