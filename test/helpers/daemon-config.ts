import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";

/** An entry of the configuration's `accounts` list, in the file's own spelling. */
export interface ConfigAccount {
  readonly name: string;
  readonly stream: string;
  readonly consumer: string;
  readonly credentials_file: string;
  readonly tenant_id?: string;
  readonly webhook?: Record<string, unknown>;
}

export interface DaemonConfig {
  readonly servers: readonly string[];
  /** Merged over the loopback network policy every test needs. */
  readonly webhook?: Record<string, unknown>;
  readonly accounts: readonly ConfigAccount[];
  /** Any other top-level sections, e.g. `dlq`. */
  readonly more?: Record<string, unknown>;
}

/**
 * Writes `streamhook.yaml` into `dir` and returns its path: the accounts given, deliveries allowed
 * to loopback only, no HTTP listener (tests that scrape set one by environment).
 */
export function writeDaemonConfig(dir: string, config: DaemonConfig): string {
  const file = join(dir, "streamhook.yaml");
  const document = {
    nats: { servers: config.servers },
    webhook: { allowed_networks: ["127.0.0.0/8"], ...config.webhook },
    http: { listen: "off" },
    ...config.more,
    accounts: config.accounts,
  };
  writeFileSync(file, stringify(document));
  return file;
}
