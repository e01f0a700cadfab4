// An accounts directory as an operator lays it out: one subdirectory per account with its
// user.creds and a meta.yaml naming the stream and the consumer to drain.
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { trackDir } from "./cleanup.js";
import type { BenchAccount } from "./cluster.js";
import { STREAM } from "./settings.js";

export interface AccountsDirOptions {
  readonly consumer: string;
  /** Extra meta.yaml lines for an account (e.g. a webhook override), or none. */
  readonly extraMeta?: (name: string) => string;
}

/** A new temporary accounts directory (removed at exit); returns its path. */
export function writeAccountsDir(
  accounts: readonly BenchAccount[],
  options: AccountsDirOptions,
): string {
  const root = mkdtempSync(join(tmpdir(), "streamhook-bench-accounts-"));
  trackDir(root);
  for (const account of accounts) {
    const dir = join(root, account.name);
    mkdirSync(dir);
    writeFileSync(join(dir, "user.creds"), account.creds, { mode: 0o600 });
    const meta = [
      `stream: ${STREAM}`,
      `consumer: ${options.consumer}`,
      `tenant_id: ${account.name}`,
      options.extraMeta?.(account.name) ?? "",
    ];
    writeFileSync(join(dir, "meta.yaml"), `${meta.filter((l) => l !== "").join("\n")}\n`);
  }
  return root;
}
