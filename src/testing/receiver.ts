// A local webhook receiver for tests and the demo: records every request and answers as scripted.
// No test-framework imports here.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Socket } from "node:net";

export interface RecordedRequest {
  readonly method: string;
  /** Path and query, e.g. "/hook?x=1". */
  readonly url: string;
  /** Lower-cased names; repeated headers joined with ", ". */
  readonly headers: Readonly<Record<string, string>>;
  /** The raw body, at most 1 MiB of it. */
  readonly body: Buffer;
  /** `body` decoded as UTF-8. */
  readonly text: string;
  /** The full body size in bytes, even when `body` was cut at 1 MiB. */
  readonly size: number;
  readonly truncated: boolean;
  /** `Date.now()` when the body had been read. */
  readonly receivedAt: number;
}

export interface ScriptedResponse {
  /** Default 200. */
  readonly status?: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Buffer;
  /** Answer after this long. */
  readonly delayMs?: number;
  /** Destroy the connection instead of answering (a connection reset for the client). */
  readonly reset?: boolean;
}

/** How to answer the `index`-th request (0-based, over the receiver's lifetime); undefined: 200. */
export type Script = (request: RecordedRequest, index: number) => ScriptedResponse | undefined;

export type Predicate = (requests: readonly RecordedRequest[]) => boolean;

export interface WaitOptions {
  /** Default 10 s. */
  readonly timeoutMs?: number;
  /** Said in the timeout error. */
  readonly message?: string;
}

export interface Receiver {
  /** The URL to post to: http://127.0.0.1:PORT/hook */
  readonly url: string;
  /** http://127.0.0.1:PORT */
  readonly origin: string;
  readonly port: number;
  /** Every request so far, in arrival order. */
  readonly requests: readonly RecordedRequest[];
  /** Replaces how the receiver answers from now on. */
  script(script: Script): void;
  /** Resolves with the requests as soon as `predicate` holds for them; rejects at the timeout. */
  waitFor(
    predicate: Predicate,
    options?: WaitOptions | number,
  ): Promise<readonly RecordedRequest[]>;
  /** Resolves once at least `count` requests have arrived. */
  waitForCount(count: number, options?: WaitOptions | number): Promise<readonly RecordedRequest[]>;
  /** Forgets the recorded requests (indexes passed to the script keep counting). */
  clear(): void;
  /** Stops listening, drops every connection (keep-alive too) and cancels delayed answers. */
  close(): Promise<void>;
}

export interface ReceiverOptions {
  readonly script?: Script;
  /** Default "/hook". */
  readonly path?: string;
}

export const MAX_RECORDED_BODY = 1024 * 1024;

function flatten(headers: IncomingMessage["headers"]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  return out;
}

/** Reads the body, keeping at most MAX_RECORDED_BODY bytes of it. */
function readBody(req: IncomingMessage): Promise<{ body: Buffer; size: number }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let kept = 0;
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      const room = MAX_RECORDED_BODY - kept;
      if (room > 0) {
        const part = chunk.length <= room ? chunk : chunk.subarray(0, room);
        chunks.push(part);
        kept += part.length;
      }
    });
    req.once("end", () => {
      resolve({ body: Buffer.concat(chunks), size });
    });
    req.once("error", reject);
  });
}

function record(req: IncomingMessage, body: Buffer, size: number): RecordedRequest {
  return {
    method: req.method ?? "",
    url: req.url ?? "",
    headers: flatten(req.headers),
    body,
    text: body.toString("utf8"),
    size,
    truncated: size > body.length,
    receivedAt: Date.now(),
  };
}

function answer(res: ServerResponse, response: ScriptedResponse): void {
  if (response.reset === true) {
    res.socket?.destroy();
    return;
  }
  if (res.destroyed) return;
  res.writeHead(response.status ?? 200, response.headers).end(response.body);
}

const timeoutOf = (options: WaitOptions | number | undefined): number =>
  (typeof options === "number" ? options : options?.timeoutMs) ?? 10_000;

class WebhookReceiver implements Receiver {
  readonly requests: RecordedRequest[] = [];
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly waiters = new Set<() => void>();
  private scriptFn: Script;
  private seen = 0;
  private closed = false;
  port = 0;

  constructor(private readonly options: ReceiverOptions) {
    this.scriptFn = options.script ?? (() => undefined);
    this.server = createServer((req, res) => {
      void this.handle(req, res);
    });
    this.server.on("connection", (socket: Socket) => {
      this.sockets.add(socket);
      socket.once("close", () => this.sockets.delete(socket));
    });
  }

  get origin(): string {
    return `http://127.0.0.1:${this.port}`;
  }
  get url(): string {
    return `${this.origin}${this.options.path ?? "/hook"}`;
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(0, "127.0.0.1", () => {
        this.server.off("error", reject);
        resolve();
      });
    });
    const address = this.server.address();
    this.port = typeof address === "object" && address !== null ? address.port : 0;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let read: { body: Buffer; size: number };
    try {
      read = await readBody(req);
    } catch {
      return; // The client went away mid-body: nothing to record or answer.
    }
    const recorded = record(req, read.body, read.size);
    const index = this.seen++;
    this.requests.push(recorded);
    this.respond(res, recorded, index);
    this.notify();
  }

  private respond(res: ServerResponse, recorded: RecordedRequest, index: number): void {
    let response: ScriptedResponse;
    try {
      response = this.scriptFn(recorded, index) ?? {};
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      response = { status: 500, body: `receiver script failed: ${message}` };
    }
    const delayMs = response.delayMs ?? 0;
    if (delayMs <= 0) {
      answer(res, response);
      return;
    }
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      answer(res, response);
    }, delayMs);
    this.timers.add(timer);
  }

  private notify(): void {
    for (const check of [...this.waiters]) check();
  }

  script(script: Script): void {
    this.scriptFn = script;
  }

  waitFor(
    predicate: Predicate,
    options?: WaitOptions | number,
  ): Promise<readonly RecordedRequest[]> {
    const timeoutMs = timeoutOf(options);
    const what = typeof options === "object" ? options.message : undefined;
    return new Promise((resolve, reject) => {
      const finish = (error?: Error): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
        if (error === undefined) resolve(this.requests);
        else reject(error);
      };
      const check = (): void => {
        if (this.closed) {
          finish(new Error("receiver closed while waiting"));
          return;
        }
        try {
          if (predicate(this.requests)) finish();
        } catch (error) {
          finish(error instanceof Error ? error : new Error(String(error)));
        }
      };
      const timer = setTimeout(() => {
        const label = what === undefined ? "condition" : `"${what}"`;
        finish(
          new Error(
            `receiver: ${label} not met within ${timeoutMs} ms ` +
              `(${this.requests.length} requests recorded)`,
          ),
        );
      }, timeoutMs);
      this.waiters.add(check);
      check();
    });
  }

  waitForCount(count: number, options?: WaitOptions | number): Promise<readonly RecordedRequest[]> {
    const timeoutMs = timeoutOf(options);
    return this.waitFor((rs) => rs.length >= count, {
      timeoutMs,
      message: typeof options === "object" ? options.message : `${count} requests`,
    });
  }

  clear(): void {
    this.requests.length = 0;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.notify();
    const closing = new Promise<void>((resolve) => {
      this.server.close(() => {
        resolve();
      });
    });
    for (const socket of this.sockets) socket.destroy();
    await closing;
  }
}

/**
 * Starts a receiver on 127.0.0.1 and a free port. Every request is answered 200 with an empty
 * body unless the script says otherwise.
 */
export async function startReceiver(options?: ReceiverOptions | Script): Promise<Receiver> {
  const receiver = new WebhookReceiver(
    typeof options === "function" ? { script: options } : (options ?? {}),
  );
  await receiver.listen();
  return receiver;
}
