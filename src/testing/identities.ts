// The identities of an operator-mode test server (operator, accounts, users) as callers see them.
import type { OperatorLimits, RevocationList } from "@nats-io/jwt";

export interface OperatorIdentity {
  readonly name: string;
  readonly publicKey: string;
  readonly seed: string;
  readonly jwt: string;
}

export interface SigningKeyIdentity {
  readonly publicKey: string;
  readonly seed: string;
}

export interface AccountIdentity {
  readonly name: string;
  readonly publicKey: string;
  readonly seed: string;
  /** The account JWT the server currently knows (changes with `updateAccount`). */
  readonly jwt: string;
  /** Present with `signingKeys: true`: users are then issued by this key, not the account key. */
  readonly signingKey?: SigningKeyIdentity;
}

export interface UserIdentity {
  readonly account: string;
  readonly name: string;
  readonly publicKey: string;
  readonly seed: string;
  readonly jwt: string;
  /** The text of a `.creds` file. */
  readonly creds: string;
}

export interface UserOptions {
  readonly name?: string;
  /** Absolute expiry, unix time in seconds (the JWT `exp` claim). */
  readonly expires?: number;
  /** Expiry relative to now, in seconds. */
  readonly expiresInSeconds?: number;
  /** Subjects the user may not subscribe to (the JWT's `sub.deny`). */
  readonly denySubscribe?: readonly string[];
}

export interface AccountChanges {
  /** Merged over the unlimited defaults. */
  readonly limits?: Readonly<OperatorLimits>;
  /** User public key -> unix seconds: users issued at or before that time are refused. */
  readonly revocations?: Readonly<RevocationList>;
}

export const SYSTEM_ACCOUNT = "SYS";
