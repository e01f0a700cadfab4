import ipaddr from "ipaddr.js";

/** The setting that opts address ranges back in, named in every refusal. */
export const ALLOWED_NETWORKS_KEY = "webhook.allowed_networks";

/** What ipaddr.js calls each range that is refused by default, in the words of a log line. */
const RANGE_NAMES: Readonly<Record<string, string>> = {
  loopback: "loopback",
  private: "private",
  carrierGradeNat: "shared address space (100.64.0.0/10)",
  uniqueLocal: "unique local (fc00::/7)",
  linkLocal: "link-local",
  unspecified: "unspecified",
  multicast: "multicast",
  broadcast: "broadcast",
  reserved: "reserved",
  ipv4Mapped: "IPv4-mapped",
  rfc6052: "IPv4-embedded (NAT64)",
  rfc6145: "IPv4-translated",
  "6to4": "6to4",
  teredo: "Teredo",
};

export type Verdict =
  { readonly allowed: true } | { readonly allowed: false; readonly range: string };

export interface NetworkPolicy {
  /** Whether a connection may go to `address`, an IPv4 or IPv6 address in any spelling. */
  check(address: string): Verdict;
}

export class InvalidNetworkError extends Error {
  override readonly name = "InvalidNetworkError";
}

type Cidr = [ipaddr.IPv4 | ipaddr.IPv6, number];

/**
 * A CIDR (`10.0.0.0/8`, `fd00::/8`) or a single address, which stands for itself alone. IPv4
 * networks are written in IPv4 form: addresses are judged in that form, however they were spelled.
 */
export function parseNetwork(text: string): Cidr {
  const value = text.trim();
  try {
    if (value.includes("/")) return ipaddr.parseCIDR(value);
    const address = ipaddr.process(value);
    return [address, address.kind() === "ipv4" ? 32 : 128];
  } catch (error) {
    throw new InvalidNetworkError(`${JSON.stringify(text)} is not an address or a CIDR`, {
      cause: error,
    });
  }
}

/**
 * The network policy of SPEC section 11: public unicast addresses are allowed; loopback, private,
 * shared, link-local (every cloud metadata address among them), unspecified, multicast, broadcast
 * and reserved addresses are refused unless inside one of `allowedNetworks`. An IPv4 address
 * written as IPv6 (`::ffff:127.0.0.1`) is judged as the IPv4 address it is.
 */
export function createNetworkPolicy(allowedNetworks: readonly string[]): NetworkPolicy {
  const networks = allowedNetworks.map(parseNetwork);
  return {
    check(text) {
      let address: ipaddr.IPv4 | ipaddr.IPv6;
      try {
        // process() turns an IPv4-mapped IPv6 address into its IPv4 form.
        address = ipaddr.process(text.replace(/%.*$/, ""));
      } catch {
        return { allowed: false, range: "not an IP address" };
      }
      for (const [network, bits] of networks) {
        if (network.kind() === address.kind() && address.match(network, bits)) {
          return { allowed: true };
        }
      }
      const range = address.range();
      if (range === "unicast") return { allowed: true };
      return { allowed: false, range: RANGE_NAMES[range] ?? range };
    },
  };
}
