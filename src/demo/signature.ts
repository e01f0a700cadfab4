// The receiver's side of Standard Webhooks: checks a request's signature the way a receiver
// would, computed here from the spec rather than with the daemon's signer, so that the demo
// proves the daemon's signatures instead of agreeing with itself.
import { createHmac, timingSafeEqual } from "node:crypto";
import { decodeSecret } from "../delivery/signing.js";

/** `verified`, or why not. */
export type SignatureCheck = "verified" | "missing" | "stale" | "mismatch";

/** Standard Webhooks' recommended tolerance against replayed requests. */
const TOLERANCE_SECONDS = 5 * 60;

export function checkSignature(
  secret: string,
  headers: Readonly<Record<string, string>>,
  body: Buffer,
  nowSeconds: number = Math.floor(Date.now() / 1000),
): SignatureCheck {
  const id = headers["webhook-id"];
  const timestamp = headers["webhook-timestamp"];
  const signatures = headers["webhook-signature"];
  if (id === undefined || timestamp === undefined || signatures === undefined) return "missing";
  const seconds = Number(timestamp);
  if (!/^\d+$/.test(timestamp) || Math.abs(nowSeconds - seconds) > TOLERANCE_SECONDS) {
    return "stale";
  }
  const expected = createHmac("sha256", decodeSecret(secret))
    .update(`${id}.${timestamp}.`)
    .update(body)
    .digest();
  // Several signatures (space-separated) during a secret rotation: any one of them will do.
  for (const entry of signatures.split(" ")) {
    const comma = entry.indexOf(",");
    if (comma < 0 || entry.slice(0, comma) !== "v1") continue;
    const given = Buffer.from(entry.slice(comma + 1), "base64");
    if (given.length === expected.length && timingSafeEqual(given, expected)) return "verified";
  }
  return "mismatch";
}
