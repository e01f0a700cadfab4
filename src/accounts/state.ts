export type AccountState =
  | "starting"
  | "running"
  | "paused"
  | "waiting"
  | "invalid"
  /** Its receiver answered 410 Gone: nothing is pulled until its configuration changes. */
  | "disabled"
  | "stopped";

export interface AccountStatus {
  readonly name: string;
  readonly state: AccountState;
  /** Why the account is not running; short, and never a secret. */
  readonly reason: string | undefined;
  readonly since: number;
}

/** A consumer's backlog as the server last reported it in consumer info. */
export interface ConsumerBacklog {
  /** Messages not yet delivered to any client (`num_pending`). */
  readonly pending: number;
  /** Delivered, not yet acknowledged (`num_ack_pending`). */
  readonly ackPending: number;
}
