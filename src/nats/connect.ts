import { connect, type NatsConnection, type NodeConnectionOptions } from "@nats-io/transport-node";
import type { AccountConfig } from "../config/types.js";
import { credsFileAuthenticator } from "./creds.js";

export interface ConnectAccountOptions {
  /** Sent to the server as the client name, so operators can tell streamhook's connections apart. */
  readonly clientName: string;
  /** How long one connect attempt may take. Default 5 s. */
  readonly timeoutMs?: number;
}

/** Connection options for one account: its servers, TLS, and whichever credentials it has. */
export function connectionOptions(
  account: AccountConfig,
  options: ConnectAccountOptions,
): NodeConnectionOptions {
  const opts: NodeConnectionOptions = {
    servers: account.servers,
    name: options.clientName,
    timeout: options.timeoutMs ?? 5_000,
    // The client gives up after ten reconnect attempts by default, and consume loops then end
    // silently: an ingest daemon keeps trying for as long as it runs.
    maxReconnectAttempts: -1,
    reconnectTimeWait: 1_000,
    // Redelivery and ack timing are server-side; there is nothing to gain from echoing our own
    // publishes (DLQ) back to us.
    noEcho: true,
  };
  if (account.credentialsFile !== undefined) {
    opts.authenticator = credsFileAuthenticator(account.credentialsFile);
  } else if (account.token !== undefined) {
    opts.token = account.token;
  } else if (account.user !== undefined) {
    opts.user = account.user;
    opts.pass = account.password ?? "";
  }
  if (account.tls !== undefined) {
    opts.tls = {
      ...(account.tls.caFile !== undefined && { caFile: account.tls.caFile }),
      ...(account.tls.certFile !== undefined && { certFile: account.tls.certFile }),
      ...(account.tls.keyFile !== undefined && { keyFile: account.tls.keyFile }),
    };
  }
  return opts;
}

export function connectAccount(
  account: AccountConfig,
  options: ConnectAccountOptions,
): Promise<NatsConnection> {
  return connect(connectionOptions(account, options));
}

/**
 * The account's connection settings, except that the connection never reconnects: the daemon
 * waits for a server forever, a command must answer. The initial connect tries every server once.
 */
export function connectAccountOnce(
  account: AccountConfig,
  options: ConnectAccountOptions,
): Promise<NatsConnection> {
  return connect({
    ...connectionOptions(account, options),
    reconnect: false,
    maxReconnectAttempts: 0,
  });
}
