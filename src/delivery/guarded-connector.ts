import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import { buildConnector } from "undici";
import { bareHost } from "./allowed-hosts.js";
import { ALLOWED_NETWORKS_KEY, type NetworkPolicy } from "./network-policy.js";

/** No address of the webhook's host may be connected to under the network policy. */
export class HostNotAllowedError extends Error {
  override readonly name = "HostNotAllowedError";
  readonly code = "ERR_HOST_NOT_ALLOWED";
}

/** The addresses a host (see `bareHost`) stands for: itself when it is one, else DNS's answer. */
export async function resolveHost(host: string): Promise<string[]> {
  if (isIP(host) !== 0) return [host];
  return (await lookup(host, { all: true })).map((found) => found.address);
}

/**
 * The first of `addresses` the policy allows, or the error that names every refused address, its
 * range and the setting that would allow it.
 */
export function pickAddress(
  policy: NetworkPolicy,
  host: string,
  addresses: readonly string[],
): { readonly address: string } | { readonly error: HostNotAllowedError } {
  const refused: string[] = [];
  for (const address of addresses) {
    const verdict = policy.check(address);
    if (verdict.allowed) return { address };
    refused.push(`${address} (${verdict.range})`);
  }
  const of = addresses.length === 1 && addresses[0] === host ? "" : ` of ${host}`;
  return {
    error: new HostNotAllowedError(
      `address ${refused.join(", ")}${of} is outside the network policy: add it to ${ALLOWED_NETWORKS_KEY} to allow it`,
    ),
  };
}

/**
 * undici's connector with the network policy in front: the host is resolved here, every address
 * it resolves to is checked, and the connection goes to the first allowed one, by address, so
 * what was checked is what is connected to. Every new connection resolves again, so a name that
 * later points somewhere else (DNS rebinding) is checked again. TLS still verifies the host name:
 * undici derives the server name from the request's host, not from the address.
 */
export function guardedConnector(
  policy: NetworkPolicy,
  options: buildConnector.BuildOptions = {},
): buildConnector.connector {
  const connect = buildConnector(options);
  return (opts, callback) => {
    const host = bareHost(opts.hostname);
    resolveHost(host).then(
      (addresses) => {
        const picked = pickAddress(policy, host, addresses);
        if ("error" in picked) callback(picked.error, null);
        else connect({ ...opts, hostname: picked.address }, callback);
      },
      (error: unknown) => {
        callback(error instanceof Error ? error : new Error(String(error)), null);
      },
    );
  };
}
