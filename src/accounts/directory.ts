import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { parseAccountText } from "../config/account.js";
import { ConfigError } from "../config/errors.js";
import { ACCOUNT_NAME } from "../config/fields.js";
import type { AccountConfig, AccountDefaults } from "../config/types.js";
import { parseCreds } from "../nats/creds.js";

export const META_FILE = "meta.yaml";

export type DirectoryAccount =
  | {
      readonly name: string;
      readonly ok: true;
      readonly account: AccountConfig;
      /** Changes whenever meta.yaml or the creds file changes: the account then restarts. */
      readonly fingerprint: string;
    }
  | { readonly name: string; readonly ok: false; readonly path: string; readonly error: string };

export interface DirectoryScan {
  /** False when the directory does not exist (yet): not an error, there are just no accounts. */
  readonly exists: boolean;
  readonly accounts: DirectoryAccount[];
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function describe(error: unknown): string {
  if (error instanceof ConfigError)
    return error.issues.map((i) => `${i.source}: ${i.key}: ${i.message}`).join("; ");
  return error instanceof Error ? error.message : String(error);
}

/**
 * Reads one account directory: `meta.yaml`, and the creds file it names (or `user.creds`).
 * Files are read through symlinks, as Kubernetes secret volumes link every file into `..data`.
 */
export function readAccountDir(
  dir: string,
  name: string,
  defaults: AccountDefaults,
  env: NodeJS.ProcessEnv,
): DirectoryAccount {
  const metaPath = join(dir, META_FILE);
  try {
    const text = readFileSync(metaPath, "utf8");
    const account = parseAccountText(text, metaPath, defaults, env);
    const hash = createHash("sha256").update(text);
    if (account.credentialsFile !== undefined) {
      let creds: string;
      try {
        creds = readFileSync(account.credentialsFile, "utf8");
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code ?? "unreadable";
        return {
          name,
          ok: false,
          path: account.credentialsFile,
          error: `${account.credentialsFile}: cannot read creds file: ${code}`,
        };
      }
      try {
        parseCreds(creds, account.credentialsFile);
      } catch (error) {
        return { name, ok: false, path: account.credentialsFile, error: describe(error) };
      }
      hash.update("\0").update(creds);
    }
    return { name, ok: true, account, fingerprint: hash.digest("hex") };
  } catch (error) {
    return { name, ok: false, path: metaPath, error: describe(error) };
  }
}

/**
 * Lists the accounts of an accounts directory: every immediate subdirectory whose name is a valid
 * account name and that holds a meta.yaml. Names starting with `.` are never accounts.
 */
export function scanAccountsDir(
  root: string,
  defaults: AccountDefaults,
  env: NodeJS.ProcessEnv,
): DirectoryScan {
  let names: string[];
  try {
    names = readdirSync(root);
  } catch {
    return { exists: false, accounts: [] };
  }
  const accounts: DirectoryAccount[] = [];
  for (const name of names.sort()) {
    if (name.startsWith(".") || !ACCOUNT_NAME.test(name)) continue;
    const dir = join(root, name);
    if (!isDirectory(dir)) continue;
    try {
      statSync(join(dir, META_FILE));
    } catch {
      continue;
    }
    accounts.push(readAccountDir(dir, name, defaults, env));
  }
  return { exists: true, accounts };
}
