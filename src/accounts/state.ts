export type AccountState = "starting" | "running" | "paused" | "waiting" | "invalid" | "stopped";

export interface AccountStatus {
  readonly name: string;
  readonly state: AccountState;
  /** Why the account is not running; short, and never a secret. */
  readonly reason: string | undefined;
  readonly since: number;
}
