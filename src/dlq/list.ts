import type { Config } from "../config/types.js";
import { jsonPrinter, tablePrinter, type Out } from "./output.js";
import { forEachQueue, selectAccounts } from "./queue.js";
import { readDeadLetters } from "./reader.js";
import { selects, type Selection } from "./selection.js";

export interface RunDlqListOptions {
  readonly selection: Selection;
  readonly json: boolean;
  readonly out: Out;
  readonly err: Out;
  /** When the listing started, for `sinceMs`. Default now. */
  readonly nowMs?: number;
}

/**
 * `dlq list`: the dead letters of the selected accounts, read without consuming anything. With
 * `--json` stdout holds only the JSON array. Exit 0 when every selected account was read, 1 when
 * one could not be.
 */
export async function runDlqList(config: Config, options: RunDlqListOptions): Promise<number> {
  const { selection, out, err } = options;
  const nowMs = options.nowMs ?? Date.now();
  const selected = selectAccounts(config, selection.account);
  const names = selected.accounts.map((a) => a.name);
  const printer = options.json ? jsonPrinter(out) : tablePrinter(out, names);
  const unreadable = await forEachQueue(selected, err, async (queue) => {
    for await (const d of readDeadLetters({ ...queue, account: queue.account.name })) {
      if (selects(selection, d, nowMs)) printer.add(d);
    }
  });
  printer.end();
  out.write(options.json ? "\n" : `${printer.count} dead letters\n`);
  return unreadable === 0 ? 0 : 1;
}
