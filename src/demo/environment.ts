// The demo's world: a nats-server in operator mode, an accounts directory laid out as an operator
// would (a directory per account with meta.yaml and user.creds), each account's stream and
// consumer, and the daemon's configuration file.
import { copyFile, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  jetstream,
  jetstreamManager,
  type JetStreamClient,
  type JetStreamManager,
} from "@nats-io/jetstream";
import { connect, credsAuthenticator, type NatsConnection } from "@nats-io/transport-node";
import { stringify } from "yaml";
import { ACCOUNT_FILE, DEFAULT_CREDENTIALS } from "../config/index.js";
import { provision, startNatsServer, type NatsServerHandle } from "../testing/nats-server.js";
import type { Budget } from "./budget.js";
import type { Cleanup } from "../testing/cleanup.js";
import { DeadLetterReader } from "./dead-letters.js";
import {
  CONSUMER,
  DLQ_SUBJECT_PREFIX,
  DLQ_SUBJECT_TEMPLATE,
  EVENT_SUBJECT_PREFIX,
  STREAM,
  type DemoTenant,
} from "./events.js";

export const ACCOUNTS_DIR = "accounts";
export const CONFIG_FILE = "streamhook.yaml";
export const STORE_DIR = "nats-store";
/** What the test server names its configuration in its own directory. */
const SERVER_CONF = "nats.conf";

/** The demo's own connection to one account: it publishes, and it reads the outcome back. */
export interface TenantClient {
  readonly tenant: DemoTenant;
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly deadLetters: DeadLetterReader;
  /** The consumer has nothing left to deliver and nothing awaiting an ack. */
  idle(): Promise<boolean>;
}

/**
 * The server's store lives in `dir`, so that `keep` keeps it; its configuration is copied there
 * on the way out for the same reason (the server removes its own directory when it stops).
 */
export async function startServer(
  dir: string,
  tenants: readonly DemoTenant[],
  budget: Budget,
  cleanup: Cleanup,
  keep: boolean,
): Promise<NatsServerHandle> {
  const server = await budget.within(
    "starting nats-server",
    startNatsServer({ accounts: tenants.map((t) => t.account), storeDir: join(dir, STORE_DIR) }),
  );
  cleanup.add("stop nats-server", async () => {
    if (keep) await copyFile(join(server.dir, SERVER_CONF), join(dir, SERVER_CONF));
    await server.stop();
  });
  return server;
}

/**
 * Writes the account's directory (creds first, meta.yaml last, so the daemon never sees a
 * meta.yaml without its creds), provisions the stream and consumer, and connects as a separate
 * user, as a publishing application would.
 */
export async function prepareTenant(
  server: NatsServerHandle,
  tenant: DemoTenant,
  dir: string,
  budget: Budget,
  cleanup: Cleanup,
): Promise<TenantClient> {
  const accountDir = join(dir, ACCOUNTS_DIR, tenant.account);
  await mkdir(accountDir, { recursive: true });
  await server.writeCreds(tenant.account, join(accountDir, DEFAULT_CREDENTIALS), {
    name: `${tenant.account}-streamhook`,
  });
  const creds = await server.createUserCreds(tenant.account, {
    name: `${tenant.account}-publisher`,
  });
  const what = `connecting to account ${tenant.account}`;
  const nc = await budget.within(
    what,
    connect({
      servers: server.url,
      name: "streamhook-demo",
      authenticator: credsAuthenticator(new TextEncoder().encode(creds)),
    }),
  );
  cleanup.add(`close the connection to ${tenant.account}`, () => nc.close());
  await budget.within(
    `provisioning ${STREAM} in account ${tenant.account}`,
    provision(nc, {
      stream: STREAM,
      // The stream keeps the account's dead letters too; the consumer only sees the events.
      subjects: [`${EVENT_SUBJECT_PREFIX}>`, `${DLQ_SUBJECT_PREFIX}>`],
      consumer: CONSUMER,
      filterSubject: `${EVENT_SUBJECT_PREFIX}>`,
    }),
  );
  const meta = { stream: STREAM, consumer: CONSUMER, tenant_id: tenant.tenantId };
  await writeFile(join(accountDir, ACCOUNT_FILE), stringify(meta));
  const jsm = await budget.within(what, jetstreamManager(nc));
  return {
    tenant,
    nc,
    js: jetstream(nc),
    jsm,
    deadLetters: new DeadLetterReader(tenant.account, jsm),
    async idle() {
      const info = await jsm.consumers.info(STREAM, CONSUMER);
      return info.num_pending === 0 && info.num_ack_pending === 0;
    },
  };
}

export interface DaemonSettings {
  readonly natsUrl: string;
  readonly webhookUrl: string;
  readonly secret: string;
  /** Short, so that the event refused once is retried at once. */
  readonly backoff: string;
}

/** The daemon's configuration as a file, so that it goes through the same loading as `run`. */
export async function writeConfig(dir: string, settings: DaemonSettings): Promise<string> {
  const config = {
    nats: { servers: [settings.natsUrl] },
    accounts_dir: ACCOUNTS_DIR,
    webhook: {
      url: settings.webhookUrl,
      secret: settings.secret,
      // The demo's receiver runs on loopback, which the network policy refuses by default.
      allowed_networks: ["127.0.0.0/8"],
    },
    delivery: { backoff: [settings.backoff] },
    dlq: { subject: DLQ_SUBJECT_TEMPLATE },
    http: { listen: "off" },
    // The demo prints each dead letter itself; the daemon's own warnings would say it twice.
    log: { level: "error", format: "pretty" },
    shutdown_timeout: "5s",
  };
  const file = join(dir, CONFIG_FILE);
  const header = "# Written by `streamhook demo` for its own run.\n";
  await writeFile(file, header + stringify(config), { mode: 0o600 });
  return file;
}
