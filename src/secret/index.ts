import { collectTargets } from "../check/targets.js";
import type { AccountConfig, Config } from "../config/types.js";

export interface RunSecretOptions {
  /** The account whose signing secret is wanted. */
  readonly account: string;
  readonly json: boolean;
  readonly out: NodeJS.WritableStream;
  readonly err: NodeJS.WritableStream;
}

const FROM: Readonly<Record<AccountConfig["secretSource"], string>> = {
  account: "the account's own webhook.secret",
  derived: "derived from webhook.secret for this account (it has its own webhook.url)",
  global: "the global webhook.secret (the account posts to the global webhook.url)",
  none: "",
};

/**
 * `secret --account NAME`: prints the secret that signs that account's events, for the operator
 * to hand to that tenant's receiver. Only the secret goes to stdout (with `--json`, an object that
 * also holds the previous secret during a rotation); what it is goes to stderr. Exit 0 when the
 * account signs, 1 when it is unknown, invalid or signs nothing.
 */
export function runSecret(config: Config, options: RunSecretOptions): number {
  const { targets } = collectTargets(config);
  const target = targets.find((t) =>
    t.kind === "account" ? t.account.name === options.account : t.check.name === options.account,
  );
  if (target === undefined) {
    options.err.write(`no account named "${options.account}"\n`);
    return 1;
  }
  if (target.kind === "invalid") {
    options.err.write(`account "${options.account}" is invalid: ${target.check.reason ?? ""}\n`);
    return 1;
  }
  const { account } = target;
  const { secret, previousSecret } = account.webhook;
  if (secret === undefined) {
    options.err.write(
      `account "${account.name}" signs nothing: webhook.secret is not set (neither its own nor a global one)\n`,
    );
    return 1;
  }
  if (options.json) {
    const body = {
      account: account.name,
      source: account.secretSource,
      secret,
      previous_secret: previousSecret ?? null,
    };
    options.out.write(`${JSON.stringify(body)}\n`);
  } else {
    options.out.write(`${secret}\n`);
    options.err.write(`account "${account.name}": ${FROM[account.secretSource]}\n`);
    if (previousSecret !== undefined) {
      options.err.write(
        "a previous secret also signs during the rotation; --json prints it as well\n",
      );
    }
  }
  return 0;
}
