import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { FileRefusedError, readRegularFile, whyUnreadable } from "../../src/config/regular-file.js";
import { tempDir } from "../helpers/fixtures.js";

const dir = tempDir();
after(() => {
  dir.remove();
});

test("a regular file up to the limit is read whole; one byte more is refused", () => {
  const path = join(dir.path, "file");
  writeFileSync(path, "x".repeat(1000));
  assert.equal(readRegularFile(path, 1000).length, 1000);
  writeFileSync(path, "x".repeat(1001));
  assert.throws(() => readRegularFile(path, 1000), /1001 bytes, over the limit of 1000/);
});

test("FIFOs, directories and devices are refused at once, without blocking", () => {
  const fifo = join(dir.path, "fifo");
  execFileSync("mkfifo", [fifo]);
  const sub = join(dir.path, "sub");
  mkdirSync(sub);
  for (const path of [fifo, sub, "/dev/zero", "/dev/null"]) {
    assert.throws(() => readRegularFile(path), FileRefusedError, path);
  }
  let error: unknown;
  try {
    readRegularFile(join(dir.path, "missing"));
  } catch (caught) {
    error = caught;
  }
  assert.equal(whyUnreadable(error), "ENOENT");
});
