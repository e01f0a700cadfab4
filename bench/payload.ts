// Message bodies: JSON objects (payload mode refuses anything else) padded to a fixed size.
import { MESSAGE_BYTES } from "./settings.js";
import { wallMs } from "./clock.js";

const encoder = new TextEncoder();

function padded(fields: string, bytes = MESSAGE_BYTES): Uint8Array {
  const bare = `{${fields},"pad":""}`;
  const pad = Math.max(0, bytes - bare.length);
  return encoder.encode(`{${fields},"pad":"${"x".repeat(pad)}"}`);
}

/** Where a drain message has a `tenant_id` of its own (see Sizes.drainTenantField). */
export const TENANT_PLACES = ["none", "first", "middle", "last"] as const;

/** A drain payload's shape in a few words, as target names and tables give it. */
export function shapeLabel(bytes: number, tenantAt: number): string {
  const place = TENANT_PLACES[tenantAt] ?? "none";
  return place === "none" ? `${bytes} B, no tenant_id` : `${bytes} B, tenant_id ${place}`;
}

/**
 * Drain messages of `bytes` bytes, counted by the receiver and never parsed, with a publisher's
 * own `tenant_id` at `tenantAt` (an index into TENANT_PLACES).
 */
export function drainPayloadOf(bytes: number, tenantAt: number): (i: number) => Uint8Array {
  const place = TENANT_PLACES[tenantAt];
  if (place === undefined) throw new Error(`drainTenantField ${tenantAt}: expected 0 to 3`);
  const tenant = `"tenant_id":"publisher-says-so"`;
  // "none" is the shape of the runs of record before the tenant-first default.
  if (place === "none") return (i) => padded(`"i":${i}`, bytes);
  return (i) => {
    const fields = [`"i":${i}`, `"kind":"order.created"`, `"at":${1_700_000_000_000 + i}`];
    if (place === "first") fields.unshift(tenant);
    else if (place === "middle") fields.splice(2, 0, tenant);
    const body = fields.join(",");
    if (place !== "last") return padded(body, bytes);
    // Last means after the padding too.
    const bare = `{${body},"pad":"",${tenant}}`;
    const pad = Math.max(0, bytes - bare.length);
    return encoder.encode(`{${body},"pad":"${"x".repeat(pad)}",${tenant}}`);
  };
}

/** A message stamped with its publish time, so the receiver records its latency under `group`. */
export const timedPayload = (group: string, i: number): Uint8Array =>
  padded(`"g":"${group}","i":${i},"pt":${wallMs().toFixed(3)}`);
