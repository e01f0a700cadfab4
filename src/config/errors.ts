/** One problem with one configuration value, and where that value came from. */
export interface ConfigIssue {
  /** Dotted key, e.g. `delivery.max_attempts` or `accounts[0].stream`. */
  readonly key: string;
  /** `config.yaml:12`, `env STREAMHOOK_DELIVERY_MAX_ATTEMPTS`, `flag --log-level` or `default`. */
  readonly source: string;
  readonly message: string;
}

/** The configuration cannot be used. Lists every issue found, not just the first. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  constructor(
    readonly issues: readonly ConfigIssue[],
    options?: ErrorOptions,
  ) {
    super(issues.map((i) => `${i.key} (${i.source}): ${i.message}`).join("\n"), options);
  }
}
