import assert from "node:assert/strict";
import { mkdirSync, renameSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { pino } from "pino";
import { loadConfig } from "../../src/config/index.js";
import { startDaemon, type Daemon } from "../../src/daemon.js";
import {
  provision,
  startNatsServer,
  type NatsServerHandle,
} from "../../src/testing/nats-server.js";
import { tempDir } from "../helpers/fixtures.js";
import { waitUntil } from "../helpers/wait.js";

/**
 * Writes files the way the kubelet updates a secret volume: into a fresh hidden directory, then
 * an atomic swap of the `..data` link; the visible files are links through `..data`.
 */
function writeSecretVolume(dir: string, files: Record<string, string>, version: number): void {
  mkdirSync(dir, { recursive: true });
  const payload = join(dir, `..2026_11_23_v${version}`);
  mkdirSync(payload);
  for (const [name, content] of Object.entries(files)) writeFileSync(join(payload, name), content);
  symlinkSync(`..2026_11_23_v${version}`, join(dir, "..data_tmp"));
  renameSync(join(dir, "..data_tmp"), join(dir, "..data"));
  if (version === 1) {
    for (const name of Object.keys(files)) symlinkSync(join("..data", name), join(dir, name));
  }
}

describe("accounts directory: missing at start, Kubernetes secret volumes", () => {
  let server: NatsServerHandle;
  let daemon: Daemon;
  const dir = tempDir();
  const root = join(dir.path, "not-yet");
  const status = (name: string) => daemon.supervisor.accounts().find((a) => a.name === name);

  before(async () => {
    server = await startNatsServer({ accounts: ["kube"] });
    await provision(
      { url: server.url, creds: await server.userCreds("kube") },
      { stream: "EVENTS", subjects: ["events.>"], consumer: "webhook" },
    );
    daemon = startDaemon({
      config: loadConfig({
        env: {
          STREAMHOOK_NATS_SERVERS: server.url,
          STREAMHOOK_ACCOUNTS_DIR: root,
          STREAMHOOK_WEBHOOK_URL: "http://127.0.0.1:9/unused",
          STREAMHOOK_HTTP_LISTEN: "off",
        },
      }),
      logger: pino({ level: "silent" }),
    });
  });

  after(async () => {
    await daemon.stop();
    await server.stop();
    dir.remove();
  });

  test("a directory that does not exist at start is fine, and its accounts are picked up once it appears", async () => {
    assert.deepEqual(daemon.supervisor.accounts(), []);
    const meta = "stream: EVENTS\nconsumer: webhook\ntenant_id: kube\n";
    const created = Date.now();
    writeSecretVolume(
      join(root, "kube"),
      { "meta.yaml": meta, "user.creds": await server.userCreds("kube") },
      1,
    );
    await waitUntil(() => status("kube")?.state === "running", {
      timeoutMs: 5_000,
      message: "kube running",
    });
    assert.ok(Date.now() - created < 3_000, `took ${Date.now() - created} ms`);
    assert.ok(
      daemon.supervisor.accounts().every((a) => !a.name.startsWith(".")),
      "the volume's hidden entries are not accounts",
    );
  });

  test("swapping the ..data link rotates the credentials within two seconds", async () => {
    const before = status("kube")?.since ?? 0;
    const meta = "stream: EVENTS\nconsumer: webhook\ntenant_id: kube\n";
    const swapped = Date.now();
    writeSecretVolume(
      join(root, "kube"),
      { "meta.yaml": meta, "user.creds": await server.userCreds("kube") },
      2,
    );
    await waitUntil(
      () => status("kube")?.state === "running" && (status("kube")?.since ?? 0) > before,
      {
        timeoutMs: 5_000,
        message: "kube restarted with the new creds",
      },
    );
    assert.ok(Date.now() - swapped < 2_000, `took ${Date.now() - swapped} ms`);
  });
});
