import { encodeAccount, encodeOperator, encodeUser, fmtCreds } from "@nats-io/jwt";
import { createAccount, createOperator, createUser, type KeyPair } from "@nats-io/nkeys";

// In operator mode a limit an account JWT leaves out counts as zero: no connections, no
// JetStream. Every limit is therefore spelled out, unlimited.
const UNLIMITED = {
  subs: -1,
  data: -1,
  payload: -1,
  imports: -1,
  exports: -1,
  wildcards: true,
  conn: -1,
  leaf: -1,
  mem_storage: -1,
  disk_storage: -1,
  streams: -1,
  consumer: -1,
  mem_max_stream_bytes: -1,
  disk_max_stream_bytes: -1,
  max_ack_pending: -1,
} as const;

export interface AccountKeys {
  readonly name: string;
  readonly keys: KeyPair;
  readonly publicKey: string;
  jwt: string;
}

export interface Operator {
  readonly keys: KeyPair;
  readonly jwt: string;
  readonly system: AccountKeys;
  readonly accounts: Map<string, AccountKeys>;
  /** A user of `account`, as the text of a `.creds` file. */
  userCreds(
    account: string,
    options?: { name?: string; expiresInSeconds?: number },
  ): Promise<string>;
  /** Re-issues an account JWT (e.g. with a revocation); the server must be told of it. */
  reissue(account: string, extra?: { revocations?: Record<string, number> }): Promise<string>;
}

async function newAccount(
  name: string,
  operator: KeyPair,
  jetstream: boolean,
): Promise<AccountKeys> {
  const keys = createAccount();
  const limits = jetstream ? UNLIMITED : { ...UNLIMITED, mem_storage: 0, disk_storage: 0 };
  const jwt = await encodeAccount(name, keys, { limits }, { signer: operator });
  return { name, keys, publicKey: keys.getPublicKey(), jwt };
}

/** An operator with a system account and one account per name, all JetStream-enabled. */
export async function createOperatorSetup(accountNames: readonly string[]): Promise<Operator> {
  const keys = createOperator();
  const system = await newAccount("SYS", keys, false);
  const jwt = await encodeOperator("streamhook-test", keys, { system_account: system.publicKey });
  const accounts = new Map<string, AccountKeys>();
  for (const name of accountNames) accounts.set(name, await newAccount(name, keys, true));
  return {
    keys,
    jwt,
    system,
    accounts,
    async userCreds(account, options = {}) {
      const owner = accounts.get(account) ?? (account === "SYS" ? system : undefined);
      if (owner === undefined) throw new Error(`no account ${account}`);
      const user = createUser();
      const exp =
        options.expiresInSeconds === undefined
          ? 0
          : Math.floor(Date.now() / 1000) + options.expiresInSeconds;
      const userJwt = await encodeUser(
        options.name ?? `${account}-user`,
        user,
        owner.keys,
        {},
        { exp },
      );
      return new TextDecoder().decode(fmtCreds(userJwt, user));
    },
    async reissue(account, extra = {}) {
      const owner = accounts.get(account);
      if (owner === undefined) throw new Error(`no account ${account}`);
      owner.jwt = await encodeAccount(
        account,
        owner.keys,
        {
          limits: UNLIMITED,
          ...(extra.revocations !== undefined && { revocations: extra.revocations }),
        },
        { signer: keys },
      );
      return owner.jwt;
    },
  };
}
