import { createHash } from "node:crypto";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { DEFAULT_CREDENTIALS, parseAccountText } from "../config/account.js";
import { ConfigError } from "../config/errors.js";
import { ACCOUNT_NAME } from "../config/fields.js";
import { readRegularFile, whyUnreadable } from "../config/regular-file.js";
import type { AccountConfig, AccountDefaults } from "../config/types.js";
import { readCredsFile } from "../nats/creds.js";

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

/**
 * What the last scan read from each account directory, so that a rescan re-reads and re-parses
 * only the files that changed: a thousand accounts are two thousand files every rescan interval.
 */
export type ScanCache = Map<string, { readonly stamp: string; readonly result: DirectoryAccount }>;

/** Changes when the file is replaced, rewritten, grown, truncated or made (through symlinks). */
function fileStamp(path: string | undefined): string {
  if (path === undefined) return "";
  const stat = statSync(path, { throwIfNoEntry: false, bigint: true });
  if (stat === undefined) return "-";
  return `${String(stat.dev)}:${String(stat.ino)}:${String(stat.size)}:${String(stat.mtimeNs)}:${String(stat.ctimeNs)}`;
}

/** meta.yaml, the default creds file (which may appear later), and a creds file named elsewhere. */
function dirStamp(dir: string, otherCreds: string | undefined): string {
  return [join(dir, META_FILE), join(dir, DEFAULT_CREDENTIALS), otherCreds]
    .map(fileStamp)
    .join("|");
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
  cache?: ScanCache,
): DirectoryAccount {
  const cached = cache?.get(dir);
  // The files the last read depended on; a creds error names its file as the path.
  const filesOf = (result: DirectoryAccount): string | undefined => {
    const file = result.ok ? result.account.credentialsFile : result.path;
    // Always stamped anyway.
    return file === join(dir, META_FILE) || file === join(dir, DEFAULT_CREDENTIALS)
      ? undefined
      : file;
  };
  const guess = cached === undefined ? undefined : filesOf(cached.result);
  // Stamped before reading, so that a change made while reading shows at the next scan.
  const stamp = dirStamp(dir, guess);
  if (cached !== undefined && cached.stamp === stamp) return cached.result;
  const result = readFresh(dir, name, defaults);
  // It now depends on a file that was not stamped: read it again next time.
  cache?.set(dir, { stamp: filesOf(result) === guess ? stamp : "", result });
  return result;
}

function readFresh(dir: string, name: string, defaults: AccountDefaults): DirectoryAccount {
  const metaPath = join(dir, META_FILE);
  try {
    let text: string;
    try {
      text = readRegularFile(metaPath);
    } catch (error) {
      const why = whyUnreadable(error);
      return { name, ok: false, path: metaPath, error: `${metaPath}: cannot read: ${why}` };
    }
    const account = parseAccountText(text, metaPath, defaults);
    const hash = createHash("sha256").update(text);
    if (account.credentialsFile !== undefined) {
      try {
        hash.update("\0").update(readCredsFile(account.credentialsFile).text);
      } catch (error) {
        return { name, ok: false, path: account.credentialsFile, error: describe(error) };
      }
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
  cache?: ScanCache,
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
    accounts.push(readAccountDir(dir, name, defaults, cache));
  }
  if (cache !== undefined) {
    const seen = new Set(accounts.map((a) => join(root, a.name)));
    for (const dir of cache.keys()) if (!seen.has(dir)) cache.delete(dir);
  }
  return { exists: true, accounts };
}
