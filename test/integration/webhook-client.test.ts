import assert from "node:assert/strict";
import { createServer, type RequestListener, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { createNetworkPolicy } from "../../src/delivery/network-policy.js";
import type { DeliveryOutcome } from "../../src/delivery/outcome.js";
import { createWebhookClient, type WebhookClient } from "../../src/delivery/webhook-client.js";
import { startReceiver, type Receiver } from "../../src/testing/receiver.js";

describe("webhook client against a real receiver", () => {
  let receiver: Receiver;
  let client: WebhookClient;

  before(async () => {
    receiver = await startReceiver();
    client = createWebhookClient({ networkPolicy: createNetworkPolicy(["127.0.0.0/8"]) });
  });

  after(async () => {
    await client.close();
    await receiver.close();
  });

  const post = (timeoutMs = 2_000) =>
    client.post({
      url: new URL(receiver.url),
      headers: ["content-type", "application/json"],
      body: Buffer.from("{}"),
      timeoutMs,
      maxConnections: 4,
    });

  test("a redirect is an answer, never followed", async () => {
    receiver.script(() => ({ status: 302, headers: { location: `${receiver.url}/elsewhere` } }));
    const before = receiver.requests.length;
    assert.deepEqual(await post(), { kind: "response", status: 302, retryAfter: undefined });
    assert.equal(receiver.requests.length, before + 1, "only the original request was made");
  });

  test("a 10 MB response body does not stop the status from counting", async () => {
    const huge = Buffer.alloc(10 * 1024 * 1024, 120);
    receiver.script(() => ({ status: 200, body: huge }));
    assert.deepEqual(await post(), { kind: "response", status: 200, retryAfter: undefined });
    receiver.script(() => undefined);
    assert.deepEqual(await post(), { kind: "response", status: 200, retryAfter: undefined });
  });

  test("a receiver that answers too slowly is a timeout", async () => {
    receiver.script(() => ({ status: 200, delayMs: 1_500 }));
    const outcome = await post(200);
    assert.equal(outcome.kind, "timeout");
  });

  test("a reset connection is a network error", async () => {
    receiver.script(() => ({ reset: true }));
    const outcome = await post();
    assert.equal(outcome.kind, "network_error");
  });

  test("Retry-After is passed on", async () => {
    receiver.script(() => ({ status: 503, headers: { "retry-after": "7" } }));
    assert.deepEqual(await post(), { kind: "response", status: 503, retryAfter: "7" });
  });

  test("a refused connection is a network error", async () => {
    const closed = await startReceiver();
    const url = new URL(closed.url);
    await closed.close();
    const outcome = await client.post({
      url,
      headers: [],
      body: Buffer.from("{}"),
      timeoutMs: 2_000,
      maxConnections: 1,
    });
    assert.ok(outcome.kind === "network_error");
    assert.match(outcome.error, /ECONNREFUSED/);
  });
});

/** A bare HTTP server for what the receiver harness cannot script; counts the connections made. */
async function bareServer(
  handler: RequestListener,
): Promise<{ url: URL; connections: () => number; close: () => Promise<void> }> {
  const server: Server = createServer(handler);
  let connections = 0;
  server.on("connection", () => {
    connections++;
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: new URL(`http://127.0.0.1:${port}/hook`),
    connections: () => connections,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}

describe("webhook client: how a response is read", () => {
  const post = (client: WebhookClient, url: URL, timeoutMs = 2_000) =>
    client.post({
      url,
      headers: ["content-type", "application/json"],
      body: Buffer.from("{}"),
      timeoutMs,
      maxConnections: 1,
    });

  /** Posts with a deadline of `timeoutMs` and says how long the outcome took to arrive. */
  const timed = async (client: WebhookClient, url: URL, timeoutMs: number) => {
    const started = performance.now();
    const outcome = await post(client, url, timeoutMs);
    return { outcome, ms: performance.now() - started };
  };
  /** "No attempt outlives its deadline by more than a fraction of a second." */
  const SLACK_MS = 300;

  test("headers in time and then a stalled body: the status decides, at the deadline", async () => {
    const server = await bareServer((_req, res) => {
      res.writeHead(200, { "content-length": "10" });
      res.write("12345");
    });
    const client = createWebhookClient({ networkPolicy: createNetworkPolicy(["127.0.0.0/8"]) });
    try {
      const { outcome, ms } = await timed(client, server.url, 400);
      assert.deepEqual(outcome, { kind: "response", status: 200, retryAfter: undefined });
      assert.ok(ms < 400 + SLACK_MS, `${Math.round(ms)} ms`);
    } finally {
      await client.destroy();
      await server.close();
    }
  });

  /**
   * Posts to a server that answers each request with `repeat` every 50 ms until the client hangs
   * up, and checks the outcome arrives at the 600 ms deadline.
   */
  const atDeadline = async (repeat: (res: ServerResponse) => void): Promise<DeliveryOutcome> => {
    const timers = new Set<NodeJS.Timeout>();
    const server = await bareServer((_req, res) => {
      const timer = setInterval(() => {
        repeat(res);
      }, 50);
      timers.add(timer);
      res.on("close", () => {
        clearInterval(timer);
      });
    });
    const client = createWebhookClient({ networkPolicy: createNetworkPolicy(["127.0.0.0/8"]) });
    try {
      const { outcome, ms } = await timed(client, server.url, 600);
      assert.ok(ms >= 550 && ms < 600 + SLACK_MS, `${Math.round(ms)} ms`);
      return outcome;
    } finally {
      for (const t of timers) clearInterval(t);
      await client.destroy();
      await server.close();
    }
  };

  test("a body trickled a byte at a time cannot outlast the deadline", async () => {
    const outcome = await atDeadline((res) => {
      if (!res.headersSent) res.writeHead(503, { "content-type": "text/plain" });
      res.write("x");
    });
    assert.deepEqual(outcome, { kind: "response", status: 503, retryAfter: undefined });
  });

  test("endless 103 Early Hints never reach a status: a timeout at the deadline", async () => {
    const outcome = await atDeadline((res) => {
      res.writeEarlyHints({ link: "</a.css>; rel=preload" });
    });
    assert.equal(outcome.kind, "timeout");
  });

  test("publisher bytes undici refuses are invalid_request, and nothing is sent", async () => {
    const server = await bareServer((_req, res) => {
      res.end();
    });
    const client = createWebhookClient({ networkPolicy: createNetworkPolicy(["127.0.0.0/8"]) });
    try {
      const outcome = await client.post({
        url: server.url,
        headers: ["traceparent", "00-€"],
        body: Buffer.from("{}"),
        timeoutMs: 2_000,
        maxConnections: 1,
      });
      assert.equal(outcome.kind, "invalid_request");
      assert.equal(server.connections(), 0);
    } finally {
      await client.close();
      await server.close();
    }
  });

  test("an informational response before the real one is skipped", async () => {
    const server = await bareServer((_req, res) => {
      res.writeEarlyHints({ link: "</style.css>; rel=preload" });
      res.writeHead(204, { "retry-after": "3" });
      res.end();
    });
    const client = createWebhookClient({ networkPolicy: createNetworkPolicy(["127.0.0.0/8"]) });
    try {
      assert.deepEqual(await post(client, server.url), {
        kind: "response",
        status: 204,
        retryAfter: "3",
      });
    } finally {
      await client.close();
      await server.close();
    }
  });

  test("a body within the limit keeps the connection; one past it is cut", async () => {
    let size = 1024;
    const server = await bareServer((_req, res) => {
      res.writeHead(200, { "content-length": String(size) });
      res.end(Buffer.alloc(size, 120));
    });
    const client = createWebhookClient({ networkPolicy: createNetworkPolicy(["127.0.0.0/8"]) });
    try {
      await post(client, server.url);
      await post(client, server.url);
      assert.equal(server.connections(), 1, "a small body leaves the connection for reuse");
      size = 1024 * 1024;
      assert.deepEqual(await post(client, server.url), {
        kind: "response",
        status: 200,
        retryAfter: undefined,
      });
      size = 10;
      await post(client, server.url);
      assert.equal(server.connections(), 2, "the oversized body's connection was not reused");
    } finally {
      await client.close();
      await server.close();
    }
  });

  test("destroy ends a request in flight as a network error", async () => {
    let arrived: () => void = () => undefined;
    const requestArrived = new Promise<void>((resolve) => {
      arrived = resolve;
    });
    const server = await bareServer(() => {
      arrived();
      // Never answers.
    });
    const client = createWebhookClient({ networkPolicy: createNetworkPolicy(["127.0.0.0/8"]) });
    try {
      const inFlight = post(client, server.url, 30_000);
      await requestArrived;
      await client.destroy();
      assert.equal((await inFlight).kind, "network_error");
    } finally {
      await server.close();
    }
  });
});

describe("webhook client: the network policy", () => {
  let receiver: Receiver;

  before(async () => {
    receiver = await startReceiver();
  });

  after(async () => {
    await receiver.close();
  });

  const postTo = async (allowedNetworks: string[], url: string): Promise<DeliveryOutcome> => {
    const client = createWebhookClient({ networkPolicy: createNetworkPolicy(allowedNetworks) });
    try {
      return await client.post({
        url: new URL(url),
        headers: ["content-type", "application/json"],
        body: Buffer.from("{}"),
        timeoutMs: 2_000,
        maxConnections: 4,
      });
    } finally {
      await client.close();
    }
  };

  test("a loopback receiver is refused by default, and nothing reaches it", async () => {
    const before = receiver.requests.length;
    const outcome = await postTo([], receiver.url);
    assert.equal(outcome.kind, "host_not_allowed");
    assert.match(
      "error" in outcome ? outcome.error : "",
      /127\.0\.0\.1 \(loopback\).*webhook\.allowed_networks/,
    );
    assert.equal(receiver.requests.length, before);
  });

  test("a name that resolves to loopback is refused too, checked after resolution", async () => {
    const port = new URL(receiver.url).port;
    const before = receiver.requests.length;
    const outcome = await postTo([], `http://localhost:${port}/hooks`);
    assert.equal(outcome.kind, "host_not_allowed");
    assert.match("error" in outcome ? outcome.error : "", / of localhost is outside/);
    assert.equal(receiver.requests.length, before);
  });

  test("allowed_networks lets it through, by address or by name", async () => {
    const port = new URL(receiver.url).port;
    const before = receiver.requests.length;
    assert.equal((await postTo(["127.0.0.0/8"], receiver.url)).kind, "response");
    assert.equal(
      (await postTo(["127.0.0.0/8"], `http://localhost:${port}/hooks`)).kind,
      "response",
    );
    assert.equal(receiver.requests.length, before + 2);
  });
});
