import { join } from "node:path";
import { scanAccountsDir } from "../accounts/directory.js";
import { accountDefaults } from "../config/account.js";
import type { AccountConfig, Config } from "../config/types.js";
import type { AccountCheck } from "./result.js";

/** An account to connect and verify, or one whose configuration already rules it out. */
export type CheckTarget =
  | { readonly kind: "account"; readonly account: AccountConfig }
  | { readonly kind: "invalid"; readonly check: AccountCheck };

export interface CheckTargets {
  readonly targets: readonly CheckTarget[];
  readonly warnings: readonly string[];
}

function invalid(name: string, reason: string): CheckTarget {
  return {
    kind: "invalid",
    check: {
      name,
      source: "directory",
      tenantId: undefined,
      stream: undefined,
      consumer: undefined,
      paused: false,
      usable: false,
      reason,
      pending: undefined,
      ackPending: undefined,
      warnings: [],
    },
  };
}

/**
 * Every account the daemon would run, in the order it lists them: the static and environment
 * accounts, then the accounts directory as it is now. Directory problems are decided here the way
 * the daemon decides them, so `check` never passes an account the daemon would refuse.
 */
export function collectTargets(config: Config): CheckTargets {
  const targets: CheckTarget[] = config.accounts.map((account) => ({ kind: "account", account }));
  const warnings: string[] = [];
  const staticNames = new Set(config.accounts.map((a) => a.name));

  if (config.accountsDir !== undefined) {
    const scan = scanAccountsDir(config.accountsDir, accountDefaults(config));
    if (!scan.exists) {
      warnings.push(
        `accounts_dir ${config.accountsDir} does not exist (yet): the daemon starts and waits for it`,
      );
    }
    for (const found of scan.accounts) {
      if (staticNames.has(found.name)) {
        targets.push(
          invalid(
            found.name,
            `${join(config.accountsDir, found.name)}: refused: a static account has the same name`,
          ),
        );
      } else if (found.ok) {
        targets.push({ kind: "account", account: found.account });
      } else {
        const reason = found.error.includes(found.path)
          ? found.error
          : `${found.path}: ${found.error}`;
        targets.push(invalid(found.name, reason));
      }
    }
  }

  if (targets.length === 0) {
    warnings.push(
      "no accounts: the daemon starts and delivers nothing until an account directory appears",
    );
  }
  return { targets, warnings };
}
