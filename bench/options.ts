// Command-line options and the sizes of a full run and of a smoke run.
import { parseArgs } from "node:util";

export const SCENARIOS = [
  "drain",
  "drain-many",
  "payloads",
  "latency",
  "idle",
  "fairness",
  "memory",
  "ceiling",
] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export interface Sizes {
  /** Messages of each drain, one account and spread over `drainAccounts`. */
  readonly drainMessages: number;
  readonly drainAccounts: number;
  /**
   * Runs of each pipeline per drain, in ABBA order so drift during the run cancels out. Four, not
   * two: on a shared machine one drain's rate can differ from the next one's by a fifth.
   */
  readonly drainRounds: number;
  /**
   * Bytes of each drain message's JSON body. The default, 450 B with the tenant first, is the
   * shape the targets are set for: a publisher's event that carries its own `tenant_id`.
   */
  readonly drainMessageBytes: number;
  /**
   * Where each drain message carries a `tenant_id` member of its own, as real publishers' events
   * do (the stamp must then remove it): 0 nowhere, 1 first, 2 in the middle, 3 last.
   */
  readonly drainTenantField: number;
  /**
   * 1: streamhook runs with tracing on, exporting a span per attempt (http/protobuf, the SDK's
   * default batching) to a collector on loopback in the bench's process; 0: off, as it ships.
   */
  readonly tracing: number;
  /**
   * 0: streamhook (not the baseline) runs the drains and the latency scenario without a webhook
   * secret, so no request is signed: what signing costs, side by side with `--against`; 1: signed,
   * as it ships.
   */
  readonly signing: number;
  /** Messages of each payload shape's one-account drain (the payloads scenario). */
  readonly payloadMessages: number;
  /** Runs of each pipeline per payload shape, in ABBA order as the drains. */
  readonly payloadRounds: number;
  readonly latencyRates: readonly number[];
  readonly latencyWarmupMs: number;
  readonly latencyMs: number;
  readonly idleAccounts: number;
  readonly idleSettleMs: number;
  readonly idleMs: number;
  readonly fairnessBacklog: number;
  /** The slow receiver path's delay for the backlogged account. */
  readonly fairnessSlowMs: number;
  readonly fairnessRate: number;
  readonly fairnessMs: number;
  readonly memoryMessages: number;
  readonly memorySampleMs: number;
}

const FULL: Sizes = {
  drainMessages: 200_000,
  drainAccounts: 100,
  drainRounds: 4,
  drainMessageBytes: 450,
  drainTenantField: 1,
  tracing: 0,
  signing: 1,
  payloadMessages: 50_000,
  payloadRounds: 2,
  latencyRates: [1_000, 5_000],
  latencyWarmupMs: 2_000,
  latencyMs: 15_000,
  idleAccounts: 1_000,
  idleSettleMs: 5_000,
  idleMs: 30_000,
  fairnessBacklog: 50_000,
  fairnessSlowMs: 100,
  fairnessRate: 10,
  fairnessMs: 30_000,
  memoryMessages: 1_000_000,
  memorySampleMs: 500,
};

const SMOKE: Sizes = {
  drainMessages: 2_000,
  drainAccounts: 5,
  drainRounds: 1,
  drainMessageBytes: 450,
  drainTenantField: 1,
  tracing: 0,
  signing: 1,
  payloadMessages: 1_000,
  payloadRounds: 1,
  latencyRates: [200, 1_000],
  latencyWarmupMs: 300,
  latencyMs: 1_500,
  idleAccounts: 5,
  idleSettleMs: 500,
  idleMs: 2_000,
  fairnessBacklog: 2_000,
  fairnessSlowMs: 200,
  fairnessRate: 10,
  fairnessMs: 2_000,
  memoryMessages: 5_000,
  memorySampleMs: 100,
};

export interface Options {
  readonly smoke: boolean;
  readonly only: readonly ScenarioName[];
  readonly sizes: Sizes;
  /** Sizes changed with --set: never written as the run of record. */
  readonly custom: boolean;
  /** Write a CPU profile of every streamhook and baseline process into this directory. */
  readonly profileDir: string | undefined;
  /**
   * Another build's `dist/cli.js`, run in the baseline's place: a change measured side by side
   * with the build before it, where runs minutes apart differ by more than most changes.
   */
  readonly against: string | undefined;
}

const isScenario = (name: string): name is ScenarioName =>
  (SCENARIOS as readonly string[]).includes(name);

export const USAGE =
  "Usage: node --import tsx bench/run.ts [--smoke] [--only " +
  SCENARIOS.join(",") +
  "] [--set size=N ...] [--profile DIR] [--against CLI]\n" +
  `  sizes: ${Object.keys(FULL).join(", ")}`;

/** `--set drainMessages=50000`: one size changed, for profiling or a quicker look. */
function override(sizes: Sizes, assignments: readonly string[]): Sizes {
  const changed: Record<string, unknown> = { ...sizes };
  for (const assignment of assignments) {
    const [key = "", value = ""] = assignment.split("=");
    if (!(key in sizes)) throw new Error(`unknown size ${key}\n${USAGE}`);
    const numbers = value.split(",").map(Number);
    if (value === "" || numbers.some((n) => !Number.isFinite(n))) {
      throw new Error(`--set ${assignment}: not a number`);
    }
    changed[key] = Array.isArray(changed[key]) ? numbers : numbers[0];
  }
  return changed as unknown as Sizes;
}

export function parseOptions(argv: readonly string[]): Options {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      smoke: { type: "boolean", default: false },
      only: { type: "string", multiple: true },
      profile: { type: "string" },
      against: { type: "string" },
      set: { type: "string", multiple: true },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const only = (values.only ?? []).flatMap((v) => v.split(",")).filter((v) => v !== "");
  const unknown = only.filter((name) => !isScenario(name));
  if (unknown.length > 0) throw new Error(`unknown scenario ${unknown.join(", ")}\n${USAGE}`);
  return {
    smoke: values.smoke,
    only: only.length === 0 ? SCENARIOS : only.filter(isScenario),
    sizes: override(values.smoke ? SMOKE : FULL, values.set ?? []),
    // Never the run of record: the baseline's figures would be another streamhook's.
    custom: (values.set ?? []).length > 0 || values.against !== undefined,
    profileDir: values.profile,
    against: values.against,
  };
}
