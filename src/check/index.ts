import pLimit from "p-limit";
import type { Config } from "../config/types.js";
import { checkAccount, type CheckAccountOptions } from "./check-account.js";
import { formatText, toJson } from "./report.js";
import { exitCodeOf, type AccountCheck, type CheckResult } from "./result.js";
import { collectTargets } from "./targets.js";

export { exitCodeOf, type AccountCheck, type CheckResult } from "./result.js";

/**
 * Enough parallel connects that hundreds of accounts finish in seconds, few enough that a server
 * (or its auth callout) is not flooded; the daemon uses the same bound.
 */
const CHECKS_AT_ONCE = 32;

export interface RunCheckOptions extends CheckAccountOptions {
  readonly json: boolean;
  readonly out: { write(text: string): unknown };
}

/** Checks every account of a loaded configuration. The result keeps the accounts' order. */
export async function checkAll(
  config: Config,
  options: CheckAccountOptions = {},
): Promise<CheckResult> {
  const { targets, warnings } = collectTargets(config);
  const limit = pLimit(CHECKS_AT_ONCE);
  const accounts = await Promise.all(
    targets.map((target): Promise<AccountCheck> =>
      target.kind === "invalid"
        ? Promise.resolve(target.check)
        : limit(() => checkAccount(target.account, options)),
    ),
  );
  return { accounts, warnings };
}

/** The `check` command after the configuration loaded: prints the report, returns the exit code. */
export async function runCheck(config: Config, options: RunCheckOptions): Promise<number> {
  const result = await checkAll(config, options);
  options.out.write(
    options.json ? `${JSON.stringify(toJson(result), null, 2)}\n` : formatText(result),
  );
  return exitCodeOf(result);
}
