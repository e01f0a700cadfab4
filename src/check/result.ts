import type { AccountConfig } from "../config/types.js";

/** What `check` found for one account. */
export interface AccountCheck {
  readonly name: string;
  readonly source: AccountConfig["source"];
  readonly tenantId: string | undefined;
  /** Unknown when the account's meta.yaml could not be read. */
  readonly stream: string | undefined;
  readonly consumer: string | undefined;
  readonly paused: boolean;
  readonly usable: boolean;
  /** Why the account is unusable; never holds a secret. */
  readonly reason: string | undefined;
  /** The consumer's `num_pending` and `num_ack_pending`, once it was verified. */
  readonly pending: number | undefined;
  readonly ackPending: number | undefined;
  /** Problems that leave the account usable. */
  readonly warnings: readonly string[];
}

export interface CheckResult {
  readonly accounts: readonly AccountCheck[];
  /** Problems of the configuration as a whole, not of one account. */
  readonly warnings: readonly string[];
}

export const EXIT_ALL_USABLE = 0;
export const EXIT_SOME_UNUSABLE = 1;

export function allUsable(result: CheckResult): boolean {
  return result.accounts.every((a) => a.usable);
}

export function exitCodeOf(result: CheckResult): number {
  return allUsable(result) ? EXIT_ALL_USABLE : EXIT_SOME_UNUSABLE;
}
