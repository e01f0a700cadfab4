// The webhook receiver both pipelines post to, as its own process so its CPU is its own. Answers
// 204 at once (after a delay on /slow), counts arrivals, and records publish-to-arrival latency
// for bodies that carry their publish time in "pt" (grouped by "g"). Stats on GET /_stats.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { wallMs } from "./clock.js";
import { distribution, type Distribution } from "./percentiles.js";
import type { ReceiverStats } from "./receiver-client.js";

const slowMs = Number(process.env.BENCH_RECEIVER_SLOW_MS ?? "100");
// Only latency bodies carry this; drain bodies are counted without being parsed.
const MARKER = Buffer.from('"pt":');

let count = 0;
let firstAt: number | undefined;
let lastAt: number | undefined;
let latencies = new Map<string, number[]>();

function record(body: Buffer, at: number): void {
  count++;
  firstAt ??= at;
  lastAt = at;
  if (body.indexOf(MARKER) === -1) return;
  const { pt, g } = JSON.parse(body.toString("utf8")) as { pt?: unknown; g?: unknown };
  if (typeof pt !== "number") return;
  const group = typeof g === "string" ? g : "";
  let samples = latencies.get(group);
  if (samples === undefined) {
    samples = [];
    latencies.set(group, samples);
  }
  samples.push(at - pt);
}

function stats(): ReceiverStats {
  const groups: Record<string, Distribution> = {};
  for (const [group, samples] of latencies) groups[group] = distribution(samples);
  return { count, firstAt, lastAt, groups };
}

function reply(res: ServerResponse, status: number, body?: unknown): void {
  if (body === undefined) {
    res.writeHead(status);
    res.end();
    return;
  }
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

function handle(req: IncomingMessage, res: ServerResponse): void {
  const chunks: Buffer[] = [];
  req.on("data", (chunk: Buffer) => {
    chunks.push(chunk);
  });
  req.on("end", () => {
    const at = wallMs();
    const url = req.url ?? "/";
    if (url === "/_stats") {
      reply(res, 200, stats());
    } else if (url === "/_reset") {
      count = 0;
      firstAt = undefined;
      lastAt = undefined;
      latencies = new Map();
      reply(res, 204);
    } else {
      record(
        chunks.length === 1 && chunks[0] !== undefined ? chunks[0] : Buffer.concat(chunks),
        at,
      );
      const delayMs = url.startsWith("/slow") ? slowMs : 0;
      if (delayMs === 0) reply(res, 204);
      else {
        setTimeout(() => {
          reply(res, 204);
        }, delayMs);
      }
    }
  });
}

const server = createServer(handle);
server.keepAliveTimeout = 60_000;
server.listen(0, "127.0.0.1", () => {
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`${JSON.stringify({ ready: true, port })}\n`);
});
process.on("SIGTERM", () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
