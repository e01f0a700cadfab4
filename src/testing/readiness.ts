// Waiting for a freshly spawned nats-server to become healthy, or telling why it did not.
import { setTimeout as delay } from "node:timers/promises";
import type { Ports } from "./server-config.js";
import { terminate, type OutputBuffer, type Running } from "./server-process.js";

/** nats-server exited or never became healthy; `output` is the tail of its stdout and stderr. */
export class NatsServerStartError extends Error {
  override readonly name = "NatsServerStartError";
  constructor(
    message: string,
    readonly output: string,
  ) {
    super(output === "" ? message : `${message}\n--- nats-server output ---\n${output}`);
  }
}

/** A monitoring endpoint's answer; `ok` false when nothing listens yet or it did not answer. */
export async function getJson(url: string): Promise<{ ok: boolean; body: unknown }> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    const body: unknown = await response.json().catch(() => undefined);
    return { ok: response.ok, body };
  } catch {
    return { ok: false, body: undefined }; // Not listening yet.
  }
}

/**
 * /healthz answers 200 once the client port accepts connections. nats-server 2.9 ignores
 * `js-enabled-only` (2.10+) and starts its monitor before JetStream, so with JetStream /jsz must
 * also show it enabled.
 */
async function healthy(monitorPort: number, jetstream: boolean): Promise<boolean> {
  const base = `http://127.0.0.1:${monitorPort}`;
  const query = jetstream ? "?js-enabled-only=true" : "";
  if (!(await getJson(`${base}/healthz${query}`)).ok) return false;
  if (!jetstream) return true;
  const jsz = await getJson(`${base}/jsz`);
  if (!jsz.ok || typeof jsz.body !== "object" || jsz.body === null) return false;
  return !("disabled" in jsz.body) || jsz.body.disabled !== true;
}

/** Resolves when /healthz answers 200; rejects at once when the process exits. */
export async function waitReady(
  running: Running,
  ports: Ports,
  jetstream: boolean,
  output: OutputBuffer,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const state = { gone: false };
  void running.exited.then(() => (state.gone = true));
  for (;;) {
    if (state.gone) {
      throw new NatsServerStartError(
        `nats-server exited during start-up (${running.exitDescription()})`,
        output.toString(),
      );
    }
    if (await healthy(ports.monitor, jetstream)) return;
    if (Date.now() > deadline) {
      await terminate(running, "SIGKILL");
      throw new NatsServerStartError(
        `nats-server was not healthy within ${timeoutMs} ms`,
        output.toString(),
      );
    }
    await Promise.race([delay(20), running.exited]);
  }
}
