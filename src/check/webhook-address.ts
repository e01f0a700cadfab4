import type { AccountConfig } from "../config/types.js";
import { bareHost } from "../delivery/allowed-hosts.js";
import { pickAddress, resolveHost } from "../delivery/guarded-connector.js";
import { createNetworkPolicy } from "../delivery/network-policy.js";

/**
 * What `check` says about an account's webhook address under the network policy: nothing when
 * the daemon could connect to it, else why every delivery would be refused as `host_not_allowed`.
 */
export async function webhookAddressWarnings(account: AccountConfig): Promise<string[]> {
  const host = bareHost(new URL(account.webhook.url).hostname);
  let addresses: string[];
  try {
    addresses = await resolveHost(host);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    return [`webhook.url: cannot resolve ${host} (${code})`];
  }
  const picked = pickAddress(createNetworkPolicy(account.webhook.allowedNetworks), host, addresses);
  if ("error" in picked) {
    return [
      `webhook.url: ${picked.error.message}; every delivery would be refused as host_not_allowed`,
    ];
  }
  return [];
}
