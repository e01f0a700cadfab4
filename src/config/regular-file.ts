import { closeSync, constants, fstatSync, openSync, readSync } from "node:fs";

/** The most an account directory's file may hold: a meta.yaml or a creds file is a few KiB. */
export const MAX_ACCOUNT_FILE_BYTES = 1024 * 1024;

export class FileRefusedError extends Error {
  override readonly name = "FileRefusedError";
}

/** Why a file could not be read, in a few words: the refusal, or the file system's error code. */
export function whyUnreadable(error: unknown): string {
  if (error instanceof FileRefusedError) return error.message;
  return (error as NodeJS.ErrnoException).code ?? "unreadable";
}

/**
 * Reads a file that someone other than the operator may have put there, without ever blocking the
 * event loop on it: opened non-blocking (a FIFO with no writer then opens at once instead of
 * waiting forever), refused unless it is a regular file (a FIFO, a socket, `/dev/zero`) of at most
 * `maxBytes`, and read no further than that even if it grows meanwhile. Symlinks are followed.
 * Errors from the file system are thrown as they are (with their `code`).
 */
export function readRegularFile(path: string, maxBytes: number = MAX_ACCOUNT_FILE_BYTES): string {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new FileRefusedError("not a regular file");
    if (stat.size > maxBytes) {
      throw new FileRefusedError(
        `${String(stat.size)} bytes, over the limit of ${String(maxBytes)}`,
      );
    }
    const buffer = Buffer.alloc(Math.min(maxBytes, stat.size) + 1);
    let length = 0;
    for (;;) {
      const read = readSync(fd, buffer, length, buffer.length - length, null);
      if (read === 0) break;
      length += read;
      if (length === buffer.length) {
        throw new FileRefusedError("grew while being read");
      }
    }
    return buffer.toString("utf8", 0, length);
  } finally {
    closeSync(fd);
  }
}
