// The operator-mode trust chain of a test server: generated operator, account and user nkeys,
// and the JWTs that bind them, with every limit spelled out.
import {
  encodeAccount,
  encodeOperator,
  encodeUser,
  fmtCreds,
  type OperatorLimits,
  type RevocationList,
} from "@nats-io/jwt";
import { createAccount, createOperator, createUser, fromSeed, type KeyPair } from "@nats-io/nkeys";
import {
  SYSTEM_ACCOUNT,
  type AccountChanges,
  type AccountIdentity,
  type OperatorIdentity,
  type UserIdentity,
  type UserOptions,
} from "./identities.js";

// In operator mode, a limit an account JWT leaves out counts as zero: no NATS limits means no
// connections, no JetStream limits means no JetStream. Every limit is therefore spelled out.
const UNLIMITED_NATS: Readonly<OperatorLimits> = {
  subs: -1,
  data: -1,
  payload: -1,
  imports: -1,
  exports: -1,
  wildcards: true,
  conn: -1,
  leaf: -1,
};
const UNLIMITED_JETSTREAM: Readonly<OperatorLimits> = {
  mem_storage: -1,
  disk_storage: -1,
  streams: -1,
  consumer: -1,
  mem_max_stream_bytes: -1,
  disk_max_stream_bytes: -1,
  max_ack_pending: -1,
  max_bytes_required: false,
};
// The system account must not have JetStream.
const SYSTEM_LIMITS: Readonly<OperatorLimits> = { ...UNLIMITED_NATS };
const TENANT_LIMITS: Readonly<OperatorLimits> = { ...UNLIMITED_NATS, ...UNLIMITED_JETSTREAM };

const seedText = (kp: KeyPair): string => new TextDecoder().decode(kp.getSeed());
const keyPair = (seed: string): KeyPair => fromSeed(new TextEncoder().encode(seed));
export const nowSeconds = (): number => Math.floor(Date.now() / 1000);

export interface AccountRecord {
  identity: AccountIdentity;
  readonly limits: Readonly<OperatorLimits>;
  revocations: Readonly<RevocationList>;
}

export interface Trust {
  readonly operator: OperatorIdentity;
  readonly accounts: Map<string, AccountRecord>;
}

async function accountJwt(
  name: string,
  account: KeyPair,
  signingKey: string | undefined,
  nats: { limits: Readonly<OperatorLimits>; revocations: Readonly<RevocationList> },
  operator: OperatorIdentity,
): Promise<string> {
  const claims = {
    limits: { ...nats.limits },
    ...(Object.keys(nats.revocations).length > 0 && { revocations: { ...nats.revocations } }),
    ...(signingKey !== undefined && { signing_keys: [signingKey] }),
  };
  return encodeAccount(name, account, claims, { signer: keyPair(operator.seed) });
}

async function newAccount(
  name: string,
  limits: Readonly<OperatorLimits>,
  withSigningKey: boolean,
  operator: OperatorIdentity,
): Promise<AccountRecord> {
  const kp = createAccount();
  const sk = withSigningKey ? createAccount() : undefined;
  const signingKey =
    sk === undefined ? undefined : { publicKey: sk.getPublicKey(), seed: seedText(sk) };
  const jwt = await accountJwt(
    name,
    kp,
    signingKey?.publicKey,
    { limits, revocations: {} },
    operator,
  );
  const identity: AccountIdentity = {
    name,
    publicKey: kp.getPublicKey(),
    seed: seedText(kp),
    jwt,
    ...(signingKey !== undefined && { signingKey }),
  };
  return { identity, limits, revocations: {} };
}

/** A new operator, its system account "SYS" and one unlimited tenant account per name. */
export async function createTrust(names: readonly string[], signingKeys: boolean): Promise<Trust> {
  if (names.includes(SYSTEM_ACCOUNT)) {
    throw new Error(`"${SYSTEM_ACCOUNT}" is the system account's name; choose another`);
  }
  if (new Set(names).size !== names.length) throw new Error("account names must be unique");
  const okp = createOperator();
  const sys = createAccount();
  const jwt = await encodeOperator("streamhook-test", okp, {
    system_account: sys.getPublicKey(),
  });
  const operator: OperatorIdentity = {
    name: "streamhook-test",
    publicKey: okp.getPublicKey(),
    seed: seedText(okp),
    jwt,
  };
  const sysJwt = await encodeAccount(
    SYSTEM_ACCOUNT,
    sys,
    { limits: { ...SYSTEM_LIMITS } },
    { signer: okp },
  );
  const accounts = new Map<string, AccountRecord>([
    [
      SYSTEM_ACCOUNT,
      {
        identity: {
          name: SYSTEM_ACCOUNT,
          publicKey: sys.getPublicKey(),
          seed: seedText(sys),
          jwt: sysJwt,
        },
        limits: SYSTEM_LIMITS,
        revocations: {},
      },
    ],
  ]);
  for (const name of names) {
    accounts.set(name, await newAccount(name, TENANT_LIMITS, signingKeys, operator));
  }
  return { operator, accounts };
}

/**
 * The account JWT re-issued with `changes`: limits merged over the account's original ones,
 * revocations over those it has now. The record itself is left as it is.
 */
export async function changedAccountJwt(
  record: AccountRecord,
  changes: AccountChanges,
  operator: OperatorIdentity,
): Promise<{ jwt: string; revocations: Readonly<RevocationList> }> {
  const limits = { ...record.limits, ...changes.limits };
  const revocations = { ...record.revocations, ...changes.revocations };
  const { identity } = record;
  const jwt = await accountJwt(
    identity.name,
    keyPair(identity.seed),
    identity.signingKey?.publicKey,
    { limits, revocations },
    operator,
  );
  return { jwt, revocations };
}

function expiry(options: UserOptions): number {
  if (options.expires !== undefined) return options.expires;
  if (options.expiresInSeconds !== undefined) return nowSeconds() + options.expiresInSeconds;
  return 0;
}

/** A new user of `account`, issued by its signing key when it has one. */
export async function newUser(
  account: AccountIdentity,
  options: UserOptions,
): Promise<UserIdentity> {
  const user = createUser();
  const name = options.name ?? `${account.name}-user`;
  const accountKey = keyPair(account.seed);
  const encodeOptions = {
    exp: expiry(options),
    ...(account.signingKey !== undefined && { signer: keyPair(account.signingKey.seed) }),
  };
  const claims =
    options.denySubscribe === undefined ? {} : { sub: { deny: [...options.denySubscribe] } };
  const jwt = await encodeUser(name, user, accountKey, claims, encodeOptions);
  return {
    account: account.name,
    name,
    publicKey: user.getPublicKey(),
    seed: seedText(user),
    jwt,
    creds: new TextDecoder().decode(fmtCreds(jwt, user)),
  };
}
