import { createPrivateKey, sign, type KeyObject } from "node:crypto";
import { readRegularFile, whyUnreadable } from "../config/regular-file.js";
import { fromSeed, type KeyPair } from "@nats-io/nkeys";
import type { Authenticator, JwtAuth } from "@nats-io/transport-node";
import { CredentialsError } from "./errors.js";

/** A `.creds` file: the user JWT and the user's nkey seed, each between dashed marker lines. */
const BLOCK = /-{3,}[^\n]*-{3,}\r?\n([\s\S]+?)\r?\n\s*-{3,}[^\n]*-{3,}/g;

export interface ParsedCreds {
  readonly jwt: string;
  readonly seed: string;
}

export function parseCreds(text: string, path: string): ParsedCreds {
  const blocks = [...text.matchAll(BLOCK)].map((m) => (m[1] ?? "").trim());
  const [jwt, seed] = blocks;
  if (jwt === undefined || seed === undefined || !seed.startsWith("SU")) {
    throw new CredentialsError(
      path,
      "not a NATS user credentials file (expected a JWT and a user seed)",
    );
  }
  if (jwt.split(".").length !== 3) {
    throw new CredentialsError(path, "the JWT block is not a JWT");
  }
  return { jwt, seed };
}

/**
 * Reads and parses a creds file. Every failure is a CredentialsError naming the file, never
 * quoting its content. The text comes back too, for callers that fingerprint the file.
 */
export function readCredsFile(path: string): ParsedCreds & { readonly text: string } {
  let text: string;
  try {
    text = readRegularFile(path);
  } catch (error) {
    const why = whyUnreadable(error);
    throw new CredentialsError(path, `cannot read creds file: ${why}`, { cause: error });
  }
  return { ...parseCreds(text, path), text };
}

/** RFC 8410's PKCS#8 wrapping of a raw Ed25519 private key: this header, then the 32 seed bytes. */
const PKCS8_ED25519_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");

interface SigningKey {
  readonly jwt: string;
  readonly seed: string;
  readonly publicKey: string;
  readonly privateKey: KeyObject;
}

/**
 * The user's public nkey is the JWT's subject. Deriving it from the seed, as the nkeys library
 * does, is a pure-JS curve multiplication of about 3 ms: with a thousand accounts starting, that
 * was seconds of start-up CPU. The server checks the signature against this same subject, so a
 * seed that does not belong to the JWT is refused there just as before.
 */
function userSubject(jwt: string, path: string): string {
  let sub: unknown;
  try {
    const payload = jwt.split(".")[1] ?? "";
    sub = (JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as { sub?: unknown }).sub;
  } catch (error) {
    throw new CredentialsError(path, "the JWT payload is not JSON", { cause: error });
  }
  if (typeof sub !== "string" || !sub.startsWith("U")) {
    throw new CredentialsError(path, "the JWT's subject is not a user public key");
  }
  return sub;
}

function loadSigningKey(jwt: string, seed: string, path: string): SigningKey {
  const publicKey = userSubject(jwt, path);
  try {
    // The key pair implementation exposes the 32 raw seed bytes; its public type does not.
    // Decoding checks the seed's prefix and checksum; nothing here runs the curve in JS.
    const pair = fromSeed(new TextEncoder().encode(seed)) as KeyPair & {
      getRawSeed?: () => Uint8Array;
    };
    if (typeof pair.getRawSeed !== "function") throw new Error("nkeys cannot export the raw seed");
    // PKCS#8 DER is the one import every supported Node line takes: Node 24 refuses a JWK whose
    // `x` is empty, and deriving `x` needs the curve multiplication avoided above.
    const privateKey = createPrivateKey({
      key: Buffer.concat([PKCS8_ED25519_PREFIX, pair.getRawSeed()]),
      format: "der",
      type: "pkcs8",
    });
    return { jwt, seed, publicKey, privateKey };
  } catch (error) {
    throw new CredentialsError(path, "the user seed is invalid", { cause: error });
  }
}

/**
 * An authenticator that re-reads the creds file at every connect and reconnect, so replacing the
 * file rotates the credentials without a restart. The server nonce is signed with node:crypto's
 * native Ed25519: the pure-JS signer of the stock authenticator costs milliseconds of CPU per
 * connect, which adds up to auth timeouts when hundreds of accounts connect at once.
 */
export function credsFileAuthenticator(path: string): Authenticator {
  let cached: SigningKey | undefined;
  return (nonce?: string): JwtAuth => {
    const { jwt, seed } = readCredsFile(path);
    if (cached?.seed !== seed || cached.jwt !== jwt) cached = loadSigningKey(jwt, seed, path);
    if (nonce === undefined || nonce === "") return { jwt, nkey: cached.publicKey };
    const sig = sign(null, Buffer.from(nonce), cached.privateKey).toString("base64");
    return { jwt, nkey: cached.publicKey, sig };
  };
}
