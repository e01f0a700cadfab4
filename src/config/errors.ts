/** One problem with one configuration value, and where that value came from. */
export interface ConfigIssue {
  /** Dotted key, e.g. `delivery.max_attempts` or `accounts[0].stream`. */
  readonly key: string;
  /** `config.yaml:12`, `env STREAMHOOK_DELIVERY_MAX_ATTEMPTS`, `flag --log-level` or `default`. */
  readonly source: string;
  /** Never holds the offending value: it may be a secret. */
  readonly message: string;
}

export function formatIssue(issue: ConfigIssue): string {
  return `${issue.key} (${issue.source}): ${issue.message}`;
}

/** The configuration cannot be used. Lists every issue found, not just the first. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  constructor(
    readonly issues: readonly ConfigIssue[],
    options?: ErrorOptions,
  ) {
    super(issues.map(formatIssue).join("\n"), options);
  }
}
