import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { headers as natsHeaders } from "@nats-io/transport-node";
import type { Daemon } from "../../src/daemon.js";
import { startNatsServer, type NatsServerHandle } from "../../src/testing/nats-server.js";
import { startReceiver, type Receiver, type RecordedRequest } from "../../src/testing/receiver.js";
import { runCli } from "../helpers/cli-process.js";
import {
  accountFixture,
  consumerIdle,
  runDaemon,
  tempDir,
  type AccountFixture,
} from "../helpers/fixtures.js";
import { waitUntil } from "../helpers/wait.js";
import { writeDaemonConfig } from "../helpers/daemon-config.js";

const ACCOUNTS = ["acme", "beta", "gamma"] as const;
type Account = (typeof ACCOUNTS)[number];

interface ListedJson {
  account: string;
  dlq_sequence: number;
  reason: string | null;
  status: number | null;
  attempts: number | null;
  subject: string | null;
  sequence: number | null;
  time: string;
}

interface Delivery {
  readonly account: string;
  readonly event: string;
  readonly id: string;
  readonly sequence: number;
  readonly status: number;
}

describe("dlq list and dlq replay", () => {
  const dir = tempDir();
  let server: NatsServerHandle;
  let receiver: Receiver;
  const clients = new Map<Account, AccountFixture>();
  /** Accounts whose receiver answers 422 (terminal: dead-lettered at the first attempt). */
  const failing = new Set<string>();
  /** Every request and how it was answered, in arrival order. */
  const deliveries: Delivery[] = [];
  let configFile: string;
  let daemon: Daemon;

  const client = (account: Account): AccountFixture => {
    const c = clients.get(account);
    assert.ok(c);
    return c;
  };

  before(async () => {
    server = await startNatsServer({ accounts: [...ACCOUNTS] });
    receiver = await startReceiver((r: RecordedRequest) => {
      const account = r.headers["streamhook-account"] ?? "";
      const status = failing.has(account) ? 422 : 200;
      deliveries.push({
        account,
        event: (JSON.parse(r.text) as { event: string }).event,
        id: r.headers["webhook-id"] ?? "",
        sequence: Number(r.headers["streamhook-sequence"]),
        status,
      });
      return { status };
    });
    for (const account of ACCOUNTS) {
      // The same stream name in every account: the ids must still never meet.
      const fixture = await accountFixture(server, account, dir.path, {
        stream: "EVENTS",
        subjects: ["events.>"],
        consumer: "hook",
      });
      await fixture.jsm.streams.add({ name: "DLQ", subjects: ["dlq.>"] });
      clients.set(account, fixture);
    }
    configFile = writeDaemonConfig(dir.path, {
      servers: [server.url],
      webhook: { url: receiver.url },
      more: { dlq: { subject: "dlq.{account}" } },
      accounts: ACCOUNTS.map((a) => ({
        name: a,
        stream: "EVENTS",
        consumer: "hook",
        credentials_file: client(a).credsFile,
      })),
    });
    daemon = runDaemon({ STREAMHOOK_CONFIG: configFile }).daemon;
  });

  after(async () => {
    await daemon.stop();
    for (const c of clients.values()) await c.close();
    await receiver.close();
    await server.stop();
    dir.remove();
  });

  async function cli(
    ...args: string[]
  ): Promise<{ code: number | null; out: string; err: string }> {
    const run = runCli(["dlq", ...args, "--config", configFile]);
    const code = await run.exit;
    return { code, out: run.stdout(), err: run.stderr() };
  }

  async function listJson(...args: string[]): Promise<ListedJson[]> {
    const { code, out, err } = await cli("list", "--json", ...args);
    assert.equal(code, 0, err);
    return JSON.parse(out) as ListedJson[];
  }

  async function publish(account: Account, n: number, headers?: Record<string, string>) {
    const h = natsHeaders();
    for (const [name, value] of Object.entries(headers ?? {})) h.set(name, value);
    return client(account).js.publish(
      `events.${account}.${n}`,
      JSON.stringify({ event: `${account}-${n}` }),
      { headers: h },
    );
  }

  const dlqCount = async (account: Account): Promise<number> =>
    (await client(account).jsm.streams.info("DLQ")).state.messages;

  /** The webhook-ids each event of an account was delivered with, over every attempt. */
  function idsOf(account: string): Map<string, Set<string>> {
    const ids = new Map<string, Set<string>>();
    for (const d of deliveries.filter((x) => x.account === account)) {
      const set = ids.get(d.event) ?? new Set<string>();
      set.add(d.id);
      ids.set(d.event, set);
    }
    return ids;
  }

  /** Events of an account answered 200 (delivered) since delivery index `from`. */
  const deliveredSince = (account: string, from: number): Set<string> =>
    new Set(
      deliveries
        .slice(from)
        .filter((d) => d.account === account && d.status === 200)
        .map((d) => d.event),
    );

  async function idle(account: Account): Promise<void> {
    await waitUntil(() => consumerIdle(client(account).jsm, "EVENTS", "hook"), {
      timeoutMs: 30_000,
      message: `${account}'s consumer to be idle`,
    });
  }

  test("dead letters of the daemon are listed with every field, read without consuming", async () => {
    failing.add("acme");
    failing.add("beta");
    const started = Date.now();
    for (let n = 1; n <= 4; n++) await publish("acme", n, { "x-custom": `c${n}` });
    for (let n = 1; n <= 2; n++) await publish("beta", n);
    await waitUntil(async () => (await dlqCount("acme")) === 4 && (await dlqCount("beta")) === 2, {
      timeoutMs: 30_000,
      message: "six dead letters",
    });

    const listed = await listJson();
    const ended = Date.now();
    assert.equal(listed.length, 6);
    const expected = [
      ...[1, 2, 3, 4].map((n) => ["acme", n] as const),
      ...[1, 2].map((n) => ["beta", n] as const),
    ];
    for (const [i, [account, n]] of expected.entries()) {
      const entry = listed[i];
      assert.ok(entry);
      const { time, ...rest } = entry;
      assert.deepEqual(rest, {
        account,
        dlq_sequence: n,
        reason: "terminal_status",
        status: 422,
        attempts: 1,
        subject: `events.${account}.${n}`,
        sequence: n,
      });
      const ms = Date.parse(time);
      assert.ok(ms >= started - 1_000 && ms <= ended, `${time} within the test`);
    }
    // Listing consumed nothing and left no consumer behind.
    assert.equal(await dlqCount("acme"), 4);
    assert.equal((await client("acme").jsm.streams.info("DLQ")).state.consumer_count, 0);

    assert.deepEqual(
      (await listJson("--account", "beta")).map((e) => [e.account, e.dlq_sequence]),
      [
        ["beta", 1],
        ["beta", 2],
      ],
    );
    assert.deepEqual(await listJson("--reason", "max_attempts"), []);

    const text = await cli("list", "--account", "acme");
    assert.equal(text.code, 0, text.err);
    const lines = text.out.trimEnd().split("\n");
    assert.match(
      lines[0] ?? "",
      /^ACCOUNT\s+DLQ SEQ\s+TIME\s+REASON\s+STATUS\s+ATTEMPTS\s+SEQUENCE\s+SUBJECT$/,
    );
    assert.match(
      lines[1] ?? "",
      /^acme\s+1\s+\S+Z\s+terminal_status\s+422\s+1\s+1\s+events\.acme\.1$/,
    );
    assert.equal(lines.at(-1), "4 dead letters");
  });

  test("--dry-run and --since select; replay delivers with the original webhook-ids and empties the DLQ", async () => {
    const original = idsOf("acme");
    const firstBatch = await listJson("--account", "acme");
    const lastOfFirst = Math.max(...firstBatch.map((e) => Date.parse(e.time)));
    // A second batch clearly later than the first, for --since to tell them apart.
    await waitUntil(() => Date.now() > lastOfFirst + 3_000, { message: "three seconds to pass" });
    for (let n = 5; n <= 6; n++) await publish("acme", n, { "x-custom": `c${n}` });
    await waitUntil(async () => (await dlqCount("acme")) === 6, {
      timeoutMs: 30_000,
      message: "acme's second batch dead-lettered",
    });
    for (const [event, ids] of idsOf("acme")) original.set(event, new Set(ids));
    // Between the batches, however long the command takes to start.
    const since = `${Date.now() - (lastOfFirst + 500)}ms`;

    const dry = await cli("replay", "--dry-run", "--json", "--account", "acme", "--since", since);
    assert.equal(dry.code, 0, dry.err);
    const drySummary = JSON.parse(dry.out) as {
      dead_letters: ListedJson[];
      dry_run: boolean;
      selected: number;
      replayed: number;
      failed: number;
    };
    assert.deepEqual(
      drySummary.dead_letters.map((e) => e.subject),
      ["events.acme.5", "events.acme.6"],
    );
    assert.equal(drySummary.dry_run, true);
    assert.equal(drySummary.selected, 2);
    assert.equal(drySummary.replayed, 0);
    assert.equal(drySummary.failed, 0);
    assert.equal(await dlqCount("acme"), 6, "a dry run changes nothing");

    failing.clear();
    const from = deliveries.length;
    const newer = await cli("replay", "--account", "acme", "--since", since);
    assert.equal(newer.code, 0, newer.err);
    assert.equal(newer.out, "replayed 2 of 2 dead letters\n");
    assert.equal(await dlqCount("acme"), 4);
    await waitUntil(() => deliveredSince("acme", from).size === 2, {
      timeoutMs: 30_000,
      message: "acme-5 and acme-6 delivered again",
    });
    assert.deepEqual([...deliveredSince("acme", from)].sort(), ["acme-5", "acme-6"]);

    const all = await cli("replay", "--json");
    assert.equal(all.code, 0, all.err);
    assert.deepEqual(JSON.parse(all.out), {
      dry_run: false,
      selected: 6,
      replayed: 6,
      failed: 0,
      unreadable_accounts: 0,
      interrupted: false,
      failures: [],
    });
    assert.equal(await dlqCount("acme"), 0);
    assert.equal(await dlqCount("beta"), 0);
    await waitUntil(
      () => deliveredSince("acme", from).size === 6 && deliveredSince("beta", from).size === 2,
      { timeoutMs: 30_000, message: "every dead letter delivered again" },
    );
    for (const account of ["acme", "beta"] as const) {
      for (const [event, ids] of idsOf(account)) {
        assert.equal(
          ids.size,
          1,
          `${event} was delivered with one webhook-id: ${[...ids].join(", ")}`,
        );
        if (account === "acme") assert.deepEqual(ids, original.get(event), event);
      }
    }
    const replayed = deliveries.slice(from).find((d) => d.event === "acme-1");
    assert.ok(replayed);
    assert.ok(replayed.sequence > 6, "the replay is a new message of the stream");

    // What was published back: the original's headers, the replay header, none of the DLQ's.
    const stored = await client("acme").jsm.streams.getMessage("EVENTS", {
      seq: replayed.sequence,
    });
    assert.ok(stored);
    assert.equal(stored.subject, "events.acme.1");
    assert.equal(stored.header.get("x-custom"), "c1");
    assert.equal(stored.header.get("streamhook-replay-of"), "EVENTS 1");
    assert.match(stored.header.get("Nats-Msg-Id"), /^streamhook-replay:DLQ:1:/);
    for (const name of ["streamhook-dlq-reason", "streamhook-dlq-status", "streamhook-sequence"]) {
      assert.equal(stored.header.has(name), false, name);
    }
    await idle("acme");
    await idle("beta");
  });

  test("a replay dead-lettered again returns to the DLQ and keeps its webhook-id through the next replay", async () => {
    failing.add("beta");
    const pubAck = await publish("beta", 3);
    await waitUntil(async () => (await dlqCount("beta")) === 1, {
      message: "beta-3 dead-lettered",
    });
    const first = await cli("replay", "--account", "beta");
    assert.equal(first.code, 0, first.err);
    // Still failing: dead-lettered again, within the DLQ stream's duplicate window.
    await waitUntil(async () => (await dlqCount("beta")) === 1, {
      message: "beta-3 dead-lettered a second time",
    });
    const [again] = await listJson("--account", "beta");
    assert.ok(again);
    assert.ok(again.sequence !== null && again.sequence > pubAck.seq, "names the replayed copy");

    failing.clear();
    const from = deliveries.length;
    const second = await cli("replay", "--account", "beta");
    assert.equal(second.code, 0, second.err);
    await waitUntil(() => deliveredSince("beta", from).has("beta-3"), {
      message: "beta-3 delivered",
    });
    assert.equal(idsOf("beta").get("beta-3")?.size, 1, "one webhook-id over three attempts");
    assert.equal(await dlqCount("beta"), 0);
    await idle("beta");
  });

  test("a publisher's own replay header cannot borrow another stream's or a later sequence's id", async () => {
    const from = deliveries.length;
    const forged = [
      { n: 101, value: "OTHER 1" }, // another stream
      { n: 102, value: "EVENTS 999999" }, // not lower than its own sequence
      { n: 103, value: "EVENTS 1 and more" }, // malformed
      { n: 104, value: "EVENTS 1" }, // valid: the account's own first message's id
    ];
    const seqs = new Map<string, number>();
    for (const { n, value } of forged) {
      const ack = await publish("acme", n, { "streamhook-replay-of": value });
      seqs.set(`acme-${n}`, ack.seq);
    }
    await waitUntil(() => deliveredSince("acme", from).size === forged.length, {
      message: "the forged messages delivered",
    });
    const acme1 = [...(idsOf("acme").get("acme-1") ?? [])][0];
    assert.ok(acme1);
    const prefix = acme1.slice(0, acme1.lastIndexOf("_") + 1);
    for (const d of deliveries.slice(from)) {
      const own = `${prefix}${seqs.get(d.event) ?? -1}`;
      assert.equal(d.id, d.event === "acme-104" ? acme1 : own, d.event);
    }
    await idle("acme");
  });

  test("what cannot be replayed stays in the DLQ and the replay exits 1", async () => {
    const { js, jsm } = client("acme");
    const forge = async (fields: Record<string, string>): Promise<void> => {
      const h = natsHeaders();
      for (const [name, value] of Object.entries(fields)) h.set(name, value);
      await js.publish("dlq.acme", JSON.stringify({ event: "forged" }), { headers: h });
    };
    const original = { "streamhook-stream": "EVENTS", "streamhook-sequence": "1" };
    await forge({ ...original, "streamhook-subject": "nowhere.x" });
    await forge({ ...original, "streamhook-subject": "$JS.API.STREAM.DELETE.EVENTS" });
    await forge({ ...original, "streamhook-subject": "events.*" });
    await forge({ ...original, "streamhook-stream": "OTHER", "streamhook-subject": "events.x" });
    await forge({ "streamhook-dlq-reason": "bogus" });

    const listed = await listJson("--account", "acme");
    assert.equal(listed.length, 5);
    assert.deepEqual(listed[4], { ...listed[4], reason: "bogus", subject: null, sequence: null });

    const run = await cli("replay", "--account", "acme");
    assert.equal(run.code, 1);
    assert.equal(run.out, "replayed 0 of 5 dead letters; 5 could not be (each named on stderr)\n");
    assert.match(run.err, /no stream captures its original subject nowhere\.x/);
    assert.match(run.err, /\$JS\.API\.STREAM\.DELETE\.EVENTS/);
    assert.match(run.err, /not the account's stream EVENTS/);
    assert.equal((run.err.match(/^acme DLQ sequence \d+: /gm) ?? []).length, 5, run.err);
    assert.equal(await dlqCount("acme"), 5, "nothing deleted");
    assert.ok(await jsm.streams.info("EVENTS"), "the stream is still there");
    await jsm.streams.purge("DLQ");
  });

  test("selections and configurations that cannot work exit 2", async () => {
    for (const args of [
      ["replay", "--reason", "bogus"],
      ["replay", "--since", "soon"],
      ["list", "--since", "1h"],
      ["list", "--dry-run"],
      ["purge"],
    ]) {
      const run = await cli(...args);
      assert.equal(run.code, 2, `${args.join(" ")}: ${run.err}`);
      assert.equal(run.out, "");
    }
    const bad = join(dir.path, "bad.yaml");
    writeFileSync(bad, "nats: { servers: 42 }\nbogus_key: 1\n");
    const run = runCli(["dlq", "replay", "--config", bad]);
    assert.equal(await run.exit, 2);
    assert.match(run.stderr(), /bogus_key/);
    const unknown = await cli("list", "--account", "nobody");
    assert.equal(unknown.code, 1);
    assert.match(unknown.err, /no account named "nobody"/);
    const unreachable = join(dir.path, "unreachable.yaml");
    writeFileSync(
      unreachable,
      [
        'nats: { servers: ["nats://127.0.0.1:1"] }',
        'dlq: { subject: "dlq.{account}" }',
        `webhook: { url: "${receiver.url}", allowed_networks: [127.0.0.0/8] }`,
        "accounts: [{ name: acme, stream: EVENTS, consumer: hook }]",
        "",
      ].join("\n"),
    );
    const down = runCli(["dlq", "list", "--config", unreachable]);
    assert.equal(await down.exit, 1);
    assert.match(down.stderr(), /^acme: cannot connect: /m);
    const nobody = await cli("replay", "--account", "nobody", "--json");
    assert.equal(nobody.code, 1);
    assert.equal(
      (JSON.parse(nobody.out) as { unreadable_accounts: number }).unreadable_accounts,
      1,
    );
  });

  /** Publishes gamma events `first`..`first+count-1` and waits until the daemon dead-lettered them. */
  async function deadLetterGamma(first: number, count: number): Promise<void> {
    failing.add("gamma");
    const { js } = client("gamma");
    const events = Array.from({ length: count }, (_, i) => first + i);
    for (let i = 0; i < count; i += 100) {
      await Promise.all(
        events
          .slice(i, i + 100)
          .map((n) => js.publish(`events.gamma.${n}`, JSON.stringify({ event: `gamma-${n}` }))),
      );
    }
    await waitUntil(async () => (await dlqCount("gamma")) === count, {
      timeoutMs: 120_000,
      intervalMs: 100,
      message: `${count} gamma messages dead-lettered`,
    });
    failing.clear();
  }

  /** Starts a replay of gamma's dead letters and waits until at least 50 have left the DLQ. */
  async function replayUnderWay(total: number): Promise<ReturnType<typeof runCli>> {
    const run = runCli(["dlq", "replay", "--account", "gamma", "--config", configFile]);
    try {
      await waitUntil(async () => (await dlqCount("gamma")) <= total - 50, {
        timeoutMs: 60_000,
        intervalMs: 5,
        message: "some dead letters replayed",
      });
    } catch (error) {
      await run.kill();
      throw error;
    }
    return run;
  }

  test("an interrupted replay loses nothing: killed midway and run again, every dead letter arrives", async () => {
    const total = 1500;
    await deadLetterGamma(1, total);
    const original = idsOf("gamma");
    const from = deliveries.length;

    await (await replayUnderWay(total)).kill();
    const left = await dlqCount("gamma");
    assert.ok(left > 0 && left < total, `killed midway: ${left} of ${total} left`);

    const rerun = await cli("replay", "--account", "gamma");
    assert.equal(rerun.code, 0, rerun.err);
    assert.match(rerun.out, /^replayed (\d+) of \1 dead letters\n$/);
    assert.equal(await dlqCount("gamma"), 0);
    await waitUntil(() => deliveredSince("gamma", from).size === total, {
      timeoutMs: 120_000,
      intervalMs: 100,
      message: "every gamma event delivered",
    });
    for (const [event, ids] of idsOf("gamma")) {
      assert.deepEqual(ids, original.get(event), `${event} kept its webhook-id`);
    }
    await idle("gamma");
  });

  test("SIGTERM stops the selection, finishes what is in flight and reports it", async () => {
    const total = 1000;
    await deadLetterGamma(10_001, total);
    const run = await replayUnderWay(total);
    run.child.kill("SIGTERM");
    assert.equal(await run.exit, 1, run.stderr());
    const match = /^replayed (\d+) of (\d+) dead letters; interrupted by a signal/.exec(
      run.stdout(),
    );
    assert.ok(match, run.stdout());
    const [replayed, selected] = [Number(match[1]), Number(match[2])];
    assert.equal(replayed, selected, "every one selected was finished");
    const left = await dlqCount("gamma");
    assert.ok(left > 0, "stopped before the end");
    assert.equal(replayed + left, total, "what was replayed left the DLQ; the rest is there");

    const rest = await cli("replay", "--account", "gamma");
    assert.equal(rest.code, 0, rest.err);
    assert.equal(rest.out, `replayed ${left} of ${left} dead letters\n`);
    await idle("gamma");
  });
});
