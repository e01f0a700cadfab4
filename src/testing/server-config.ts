// The nats.conf of a test server: loopback ports, an optional JetStream store and, in operator
// mode, the operator JWT with every account preloaded into a MEMORY resolver.
import { SYSTEM_ACCOUNT } from "./identities.js";
import type { Trust } from "./trust.js";

export interface StartNatsServerOptions {
  /** Tenant account names: operator mode (plus a system account "SYS"). Omitted: no auth. */
  readonly accounts?: readonly string[];
  /** Enable JetStream (default true). */
  readonly jetstream?: boolean;
  /** Client port; default a free one. */
  readonly port?: number;
  /** JetStream store directory to use (and keep on stop), e.g. to restart on the same data. */
  readonly storeDir?: string;
  /** Appended verbatim to the generated configuration. */
  readonly extraConfig?: string;
  /** Give each tenant account a signing key and issue its users with it. */
  readonly signingKeys?: boolean;
  /** How long start-up may take before it is an error (default 20 s). */
  readonly startTimeoutMs?: number;
  /** Default "streamhook-test"; every member of a cluster needs its own. */
  readonly serverName?: string;
  /** Membership of a cluster on loopback (see nats-cluster.ts); the client port must be fixed. */
  readonly cluster?: ClusterMembership;
}

export interface ClusterMembership {
  readonly name: string;
  /** This server's route port. */
  readonly port: number;
  /** The route ports of the other members. */
  readonly routes: readonly number[];
}

export const DEFAULT_SERVER_NAME = "streamhook-test";

export interface Ports {
  readonly client: number;
  readonly monitor: number;
}

const quote = (s: string): string => JSON.stringify(s);

function operatorConfig(trust: Trust): string[] {
  const system = trust.accounts.get(SYSTEM_ACCOUNT);
  if (system === undefined) throw new Error("no system account");
  const preload = [...trust.accounts.values()].map(
    (a) => `  ${a.identity.publicKey}: ${quote(a.identity.jwt)}`,
  );
  return [
    `operator: ${quote(trust.operator.jwt)}`,
    `system_account: ${system.identity.publicKey}`,
    "resolver: MEMORY",
    `resolver_preload: {\n${preload.join("\n")}\n}`,
  ];
}

function clusterConfig(cluster: ClusterMembership): string {
  const routes = cluster.routes.map((port) => quote(`nats-route://127.0.0.1:${port}`));
  return [
    "cluster: {",
    `  name: ${quote(cluster.name)}`,
    `  listen: "127.0.0.1:${cluster.port}"`,
    `  routes: [${routes.join(", ")}]`,
    "}",
  ].join("\n");
}

export function configText(
  ports: Ports,
  storeDir: string,
  options: StartNatsServerOptions,
  trust: Trust | undefined,
): string {
  const lines = [
    `server_name: ${quote(options.serverName ?? DEFAULT_SERVER_NAME)}`,
    `listen: "127.0.0.1:${ports.client}"`,
    `http: "127.0.0.1:${ports.monitor}"`,
  ];
  if (options.jetstream ?? true) {
    lines.push(`jetstream: { store_dir: ${quote(storeDir)}, max_mem: 256MB, max_file: 2GB }`);
  }
  if (options.cluster !== undefined) lines.push(clusterConfig(options.cluster));
  if (trust !== undefined) lines.push(...operatorConfig(trust));
  if (options.extraConfig !== undefined) lines.push(options.extraConfig);
  return `${lines.join("\n")}\n`;
}
