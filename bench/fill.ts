// Putting a backlog into every account's stream before a drain, and checking it is all there.
import pLimit from "p-limit";
import type { BenchAccount } from "./cluster.js";
import { publishBulk, streamMessages } from "./publish.js";
import { SUBJECT } from "./settings.js";

function connection(account: BenchAccount): NonNullable<BenchAccount["nc"]> {
  if (account.nc === undefined) throw new Error(`no connection kept for ${account.name}`);
  return account.nc;
}

/** `total` drain messages spread evenly over `accounts`, then verified from the streams' state. */
export async function fillStreams(
  accounts: readonly BenchAccount[],
  total: number,
  payload: (i: number) => Uint8Array,
): Promise<void> {
  const each = Math.floor(total / accounts.length);
  const extra = total - each * accounts.length;
  const counts = accounts.map((_, i) => each + (i < extra ? 1 : 0));
  const limit = pLimit(8);
  await Promise.all(
    accounts.map((account, i) =>
      limit(() => publishBulk(connection(account), SUBJECT, counts[i] ?? 0, payload)),
    ),
  );
  let stored = 0;
  for (const account of accounts) stored += await streamMessages(connection(account));
  if (stored !== total) throw new Error(`published ${total} messages, the streams hold ${stored}`);
}

export { connection };
