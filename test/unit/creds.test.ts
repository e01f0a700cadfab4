import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fromPublic } from "@nats-io/nkeys";
import type { Authenticator, JwtAuth } from "@nats-io/transport-node";
import { credsFileAuthenticator } from "../../src/nats/creds.js";
import { CredentialsError } from "../../src/nats/errors.js";
import type { AccountIdentity, UserIdentity } from "../../src/testing/identities.js";
import { createTrust, newUser } from "../../src/testing/trust.js";

/** What the authenticator answers, checked to be a JWT answer. */
function answer(auth: Authenticator, nonce: string): JwtAuth {
  const result = auth(nonce);
  assert.ok(typeof result === "object" && "jwt" in result && "nkey" in result);
  return result;
}

/** The authenticator refuses with a CredentialsError whose message passes `check`. */
function assertRefused(auth: Authenticator, check: (message: string) => boolean): void {
  assert.throws(
    () => auth("n"),
    (error: unknown) => error instanceof CredentialsError && check(error.message),
  );
}

describe("creds file authenticator", () => {
  let dir: string;
  let account: AccountIdentity;
  let user: UserIdentity;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "streamhook-creds-"));
    const trust = await createTrust(["tenant"], false);
    const record = trust.accounts.get("tenant");
    assert.ok(record);
    account = record.identity;
    user = await newUser(account, {});
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const write = async (name: string, text: string): Promise<string> => {
    const path = join(dir, name);
    await writeFile(path, text);
    return path;
  };

  test("answers the nonce with the user's key and a signature that key verifies", async () => {
    const auth = credsFileAuthenticator(await write("good.creds", user.creds));
    const nonce = "dGhlIHNlcnZlcidzIG5vbmNl";
    const result = answer(auth, nonce);
    assert.equal(result.jwt, user.jwt);
    assert.equal(result.nkey, user.publicKey);
    const sig = Buffer.from(result.sig ?? "", "base64");
    assert.equal(sig.length, 64);
    assert.ok(fromPublic(user.publicKey).verify(new TextEncoder().encode(nonce), sig));
    assert.ok(!fromPublic(user.publicKey).verify(new TextEncoder().encode("other"), sig));
  });

  test("a replaced file is read at the next connect", async () => {
    const path = await write("rotating.creds", user.creds);
    const auth = credsFileAuthenticator(path);
    const first = answer(auth, "n1");
    const next = await newUser(account, { name: "rotated" });
    await writeFile(path, next.creds);
    const second = answer(auth, "n2");
    assert.equal(first.nkey, user.publicKey);
    assert.equal(second.nkey, next.publicKey);
    const sig = Buffer.from(second.sig ?? "", "base64");
    assert.ok(fromPublic(next.publicKey).verify(new TextEncoder().encode("n2"), sig));
  });

  test("a JWT whose subject is not a user is refused, naming the file", async () => {
    const payload = Buffer.from(JSON.stringify({ sub: account.publicKey })).toString("base64url");
    const jwt = ["e30", payload, "c2ln"].join(".");
    const path = await write("account-subject.creds", user.creds.replace(user.jwt, jwt));
    const auth = credsFileAuthenticator(path);
    assertRefused(auth, (message) => message.includes(path) && message.includes("subject"));
  });

  test("a seed with a bad checksum is refused without quoting it", async () => {
    // A character in the middle: the last one also carries padding bits the checksum ignores.
    const at = 20;
    const swapped = user.seed[at] === "A" ? "B" : "A";
    const broken = user.seed.slice(0, at) + swapped + user.seed.slice(at + 1);
    const path = await write("bad-seed.creds", user.creds.replace(user.seed, broken));
    const auth = credsFileAuthenticator(path);
    assertRefused(
      auth,
      (message) => message.includes("seed is invalid") && !message.includes(broken),
    );
  });
});
