import { stat } from "node:fs/promises";
import { readCredsFile } from "../nats/creds.js";
import { CredentialsError } from "../nats/errors.js";

export interface CredsFileCheck {
  /** Set when the file cannot be used; the account is then unusable. */
  readonly error: string | undefined;
  readonly warnings: readonly string[];
}

const GROUP_OR_OTHER_READ = 0o044;

/**
 * Reads and parses a creds file the way a connect would, so a broken file is reported with its
 * path rather than as a vague authorization failure. stat follows symlinks on purpose: Kubernetes
 * secret volumes link every file, and the mode that matters is the target's.
 */
export async function checkCredsFile(path: string): Promise<CredsFileCheck> {
  try {
    readCredsFile(path);
  } catch (error) {
    if (error instanceof CredentialsError) return { error: error.message, warnings: [] };
    throw error;
  }
  // Gone since it was read: nothing left to warn about.
  const mode = await stat(path).then(
    (stats) => stats.mode,
    () => 0,
  );
  const warnings: string[] = [];
  if ((mode & GROUP_OR_OTHER_READ) !== 0) {
    const octal = (mode & 0o777).toString(8).padStart(4, "0");
    warnings.push(
      `creds file ${path} is readable by group or others (mode ${octal}); it holds a private key: chmod 600 it`,
    );
  }
  return { error: undefined, warnings };
}
