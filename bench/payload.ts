// Message bodies: JSON objects (payload mode refuses anything else) padded to a fixed size.
import { MESSAGE_BYTES } from "./settings.js";
import { wallMs } from "./clock.js";

const encoder = new TextEncoder();

function padded(fields: string): Uint8Array {
  const bare = `{${fields},"pad":""}`;
  const pad = Math.max(0, MESSAGE_BYTES - bare.length);
  return encoder.encode(`{${fields},"pad":"${"x".repeat(pad)}"}`);
}

/** A drain message: counted by the receiver, never parsed. */
export const drainPayload = (i: number): Uint8Array => padded(`"i":${i}`);

/** A message stamped with its publish time, so the receiver records its latency under `group`. */
export const timedPayload = (group: string, i: number): Uint8Array =>
  padded(`"g":"${group}","i":${i},"pt":${wallMs().toFixed(3)}`);
