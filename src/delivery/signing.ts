import { createHmac } from "node:crypto";

const SECRET_PREFIX = "whsec_";

export class InvalidSecretError extends Error {
  override readonly name = "InvalidSecretError";
}

/** Decodes a Standard Webhooks secret (`whsec_<base64>`) into the HMAC key. */
export function decodeSecret(secret: string): Buffer {
  if (!secret.startsWith(SECRET_PREFIX)) {
    throw new InvalidSecretError(`a webhook secret must start with "${SECRET_PREFIX}"`);
  }
  const encoded = secret.slice(SECRET_PREFIX.length);
  if (encoded === "" || !/^[A-Za-z0-9+/]+={0,2}$/.test(encoded)) {
    throw new InvalidSecretError(`a webhook secret must be "${SECRET_PREFIX}" followed by base64`);
  }
  return Buffer.from(encoded, "base64");
}

/**
 * The signing secret of an account that has its own webhook URL but no secret of its own (SPEC
 * section 4): `whsec_` + base64(HMAC-SHA256(global secret's bytes, "streamhook-account:<name>")).
 * Each tenant's receiver then holds a key that verifies that tenant's events and no one else's,
 * and the operator keeps one secret. Computed at load, never per message.
 */
export function deriveAccountSecret(globalSecret: string, account: string): string {
  const key = decodeSecret(globalSecret);
  const derived = createHmac("sha256", key)
    .update(`streamhook-account:${account}`)
    .digest("base64");
  return `${SECRET_PREFIX}${derived}`;
}

/**
 * Signs webhook requests. Keys are decoded once, at construction, so the hot path is one HMAC per
 * key. With a previous secret during rotation, both signatures are sent and receivers holding
 * either secret accept the request.
 */
export interface Signer {
  /** The value of the `webhook-signature` header. */
  sign(id: string, timestampSeconds: number, body: Buffer): string;
}

export function createSigner(secret: string, previousSecret?: string): Signer {
  const key = decodeSecret(secret);
  const signature = (k: Buffer, prefix: string, body: Buffer): string =>
    `v1,${createHmac("sha256", k).update(prefix).update(body).digest("base64")}`;
  if (previousSecret === undefined) {
    return {
      sign: (id, timestampSeconds, body) => signature(key, `${id}.${timestampSeconds}.`, body),
    };
  }
  const previous = decodeSecret(previousSecret);
  return {
    sign(id, timestampSeconds, body) {
      const prefix = `${id}.${timestampSeconds}.`;
      return `${signature(key, prefix, body)} ${signature(previous, prefix, body)}`;
    },
  };
}
