import { createServer, type IncomingMessage, type Server } from "node:http";
import type { Socket } from "node:net";

export interface RecordedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
  readonly text: string;
  readonly receivedAt: number;
}

export interface ScriptedResponse {
  readonly status?: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Buffer;
  /** Answer after this long. */
  readonly delayMs?: number;
  /** Destroy the socket instead of answering. */
  readonly reset?: boolean;
}

export type Script = (request: RecordedRequest, index: number) => ScriptedResponse | undefined;

export interface Receiver {
  readonly url: string;
  readonly requests: readonly RecordedRequest[];
  /** Replaces how the receiver answers from now on (default: 200). */
  script(script: Script): void;
  /** Resolves as soon as `predicate` holds for the recorded requests; rejects after the timeout. */
  waitFor(
    predicate: (requests: readonly RecordedRequest[]) => boolean,
    timeoutMs?: number,
  ): Promise<void>;
  close(): Promise<void>;
}

const MAX_RECORDED_BODY = 1024 * 1024;

function flatten(headers: IncomingMessage["headers"]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  return out;
}

/** A local webhook receiver that records every request and answers as the test scripts it. */
export async function startReceiver(initial?: Script): Promise<Receiver> {
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  let script: Script = initial ?? (() => undefined);
  let waiters: (() => void)[] = [];

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_RECORDED_BODY) chunks.push(chunk);
    });
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const recorded: RecordedRequest = {
        method: req.method ?? "",
        url: req.url ?? "",
        headers: flatten(req.headers),
        body,
        text: body.toString(),
        receivedAt: Date.now(),
      };
      const index = requests.push(recorded) - 1;
      const answer = script(recorded, index) ?? {};
      const respond = (): void => {
        if (answer.reset === true) {
          req.socket.destroy();
        } else {
          res.writeHead(answer.status ?? 200, answer.headers).end(answer.body);
        }
      };
      if (answer.delayMs !== undefined && answer.delayMs > 0) setTimeout(respond, answer.delayMs);
      else respond();
      const pending = waiters;
      waiters = [];
      for (const wake of pending) wake();
    });
  });
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;

  return {
    url: `http://127.0.0.1:${port}/hook`,
    requests,
    script(next) {
      script = next;
    },
    waitFor(predicate, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          reject(
            new Error(
              `receiver: condition not met within ${timeoutMs} ms (${requests.length} requests)`,
            ),
          );
        }, timeoutMs);
        const check = (): void => {
          if (predicate(requests)) {
            clearTimeout(timer);
            resolve();
          } else {
            waiters.push(check);
          }
        };
        check();
      });
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
