import { createHash, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "pino";
import type { SupervisedAccount } from "../accounts/supervisor.js";
import type { AccountReport } from "./accounts-report.js";

export interface HttpServerOptions {
  readonly host: string;
  readonly port: number;
  readonly logger: Logger;
  /** The accounts and their states, as the supervisor reports them. */
  readonly accounts: () => SupervisedAccount[];
  /** True once shutdown has begun. */
  readonly stopping: () => boolean;
  /** The body of `GET /accounts`. */
  readonly report: () => AccountReport[];
  /** The Prometheus exposition for `GET /metrics`. */
  readonly metrics: () => Promise<{ contentType: string; body: string }>;
  /** When set, `/accounts` and `/metrics` answer 401 without `Authorization: Bearer <token>`. */
  readonly token?: string | undefined;
}

export interface HttpServer {
  /** The bound address (useful with port 0). */
  address(): AddressInfo;
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" });
  res.end(text);
}

/**
 * Ready when every account that is not paused is running. The body names each account's state
 * and a short reason, which never holds a secret: reasons come from error classes and file paths.
 */
function readiness(accounts: SupervisedAccount[]): { ready: boolean; body: unknown } {
  // A paused or disabled account is not pulling on purpose (the operator's, or its receiver's).
  const ready = accounts.every(
    (a) => a.state === "running" || a.state === "paused" || a.state === "disabled",
  );
  return {
    ready,
    body: {
      status: ready ? "ready" : "not_ready",
      accounts: accounts.map((a) => ({
        name: a.name,
        state: a.state,
        ...((a.reason ?? a.configError) !== undefined && { reason: a.reason ?? a.configError }),
      })),
    },
  };
}

const digest = (text: string): Buffer => createHash("sha256").update(text).digest();

/**
 * Whether a request may read the inventory (`/accounts`, `/metrics`): always without a token, else
 * only with `Authorization: Bearer <token>`. Both sides are hashed first, so the comparison takes
 * the same time whatever the length or the first wrong byte of what was sent.
 */
function authorizer(token: string | undefined): (req: IncomingMessage) => boolean {
  if (token === undefined) return () => true;
  const expected = digest(token);
  return (req) => {
    const match = /^Bearer +(\S+) *$/i.exec(req.headers.authorization ?? "");
    return match?.[1] !== undefined && timingSafeEqual(digest(match[1]), expected);
  };
}

/** The operator's HTTP endpoints: probes, the accounts' status and the metrics. */
export async function startHttpServer(options: HttpServerOptions): Promise<HttpServer> {
  const authorized = authorizer(options.token);
  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method !== "GET" && req.method !== "HEAD") {
      send(res, 405, { error: "method not allowed" });
      return;
    }
    if ((path === "/accounts" || path === "/metrics") && !authorized(req)) {
      res.setHeader("www-authenticate", 'Bearer realm="streamhook"');
      send(res, 401, { error: "unauthorized" });
      return;
    }
    switch (path) {
      case "/healthz":
        if (options.stopping()) send(res, 503, { status: "stopping" });
        else send(res, 200, { status: "ok" });
        return;
      case "/readyz": {
        const { ready, body } = readiness(options.accounts());
        send(res, ready && !options.stopping() ? 200 : 503, body);
        return;
      }
      case "/accounts":
        send(res, 200, options.report());
        return;
      case "/metrics":
        options.metrics().then(
          ({ contentType, body }) => {
            res.writeHead(200, { "content-type": contentType, "cache-control": "no-store" });
            res.end(body);
          },
          (error: unknown) => {
            options.logger.error({ err: error }, "collecting metrics failed");
            send(res, 500, { error: "collecting metrics failed" });
          },
        );
        return;
      default:
        send(res, 404, { error: "not found" });
    }
  };
  const server: Server = createServer(handle);
  // Probes are short requests; idle keep-alive sockets must not hold shutdown up.
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  options.logger.info({ address: `${address.address}:${address.port}` }, "HTTP server listening");
  return {
    address: () => address,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => {
          if (error !== undefined) reject(error);
          else resolve();
        });
        server.closeAllConnections();
      }),
  };
}
