import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { createConnection } from "node:net";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { connect } from "@nats-io/transport-node";
import { jetstream } from "@nats-io/jetstream";
import { pino } from "pino";
import { loadConfig } from "../../src/config/index.js";
import { startDaemon, type Daemon } from "../../src/daemon.js";
import { findNatsServer, freePort, provision } from "../../src/testing/nats-server.js";
import { NO_LOCAL_BINARY, newSecret, tempDir } from "../helpers/fixtures.js";
import { waitUntil } from "../helpers/wait.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const dockerDir = join(root, "docker");

/** Starts a child process and collects its output; `stop` ends it. */
function start(command: string, args: string[], env: NodeJS.ProcessEnv = process.env) {
  const child: ChildProcess = spawn(command, args, { env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout?.on("data", (c: Buffer) => (output += c.toString()));
  child.stderr?.on("data", (c: Buffer) => (output += c.toString()));
  const exited = new Promise<void>((resolve) =>
    child.once("exit", () => {
      resolve();
    }),
  );
  return {
    output: () => output,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}

describe(
  "docker/: the compose setup's NATS configuration, streamhook.yaml and receiver",
  { skip: NO_LOCAL_BINARY },
  () => {
    const dir = tempDir();
    const secret = newSecret();
    let nats: ReturnType<typeof start>;
    let receiver: ReturnType<typeof start>;
    let daemon: Daemon | undefined;
    let natsUrl = "";
    let receiverPort = 0;

    before(async () => {
      const port = await freePort();
      const monitor = await freePort();
      natsUrl = `nats://127.0.0.1:${port}`;
      // The very file compose mounts; only addresses and the store move for the test.
      nats = start(findNatsServer(), [
        "-c",
        join(dockerDir, "nats.conf"),
        "-a",
        "127.0.0.1",
        "-p",
        String(port),
        "-m",
        String(monitor),
        "-sd",
        dir.path,
      ]);
      await waitUntil(
        async () => {
          const res = await fetch(`http://127.0.0.1:${monitor}/jsz`).catch(() => undefined);
          return res?.ok === true && !(await res.text()).includes('"disabled": true');
        },
        { message: `nats-server with docker/nats.conf: ${nats.output()}` },
      );
      receiverPort = await freePort();
      receiver = start(process.execPath, [join(dockerDir, "receiver.mjs")], {
        ...process.env,
        PORT: String(receiverPort),
        STREAMHOOK_WEBHOOK_SECRET: secret,
      });
      await waitUntil(() => receiver.output().includes("listening"), { message: "receiver" });
      // The monitoring port answers before the client port accepts: wait for the latter too.
      await waitUntil(
        () =>
          new Promise<boolean>((resolve) => {
            const socket = createConnection({ host: "127.0.0.1", port }, () => {
              socket.destroy();
              resolve(true);
            });
            socket.once("error", () => {
              resolve(false);
            });
          }),
        { message: `nats-server accepting clients: ${nats.output()}` },
      );
      for (const tenant of ["acme", "globex"]) {
        const nc = await connect({ servers: natsUrl, user: tenant, pass: `${tenant}-password` });
        await provision(nc, { stream: "EVENTS", subjects: ["events.>"], consumer: "webhook" });
        await nc.close();
      }
    });

    after(async () => {
      await daemon?.stop();
      await receiver.stop();
      await nats.stop();
      dir.remove();
    });

    test("streamhook.yaml loads, and events of both tenants reach the sample receiver verified", async () => {
      const config = loadConfig({
        file: join(dockerDir, "streamhook.yaml"),
        env: {
          STREAMHOOK_WEBHOOK_SECRET: secret,
          STREAMHOOK_NATS_SERVERS: natsUrl,
          STREAMHOOK_WEBHOOK_URL: `http://127.0.0.1:${receiverPort}/hooks`,
          STREAMHOOK_HTTP_LISTEN: "off",
        },
      });
      assert.deepEqual(
        config.accounts.map((a) => a.name),
        ["acme", "globex"],
      );
      daemon = startDaemon({ config, logger: pino({ level: "silent" }) });
      for (const tenant of ["acme", "globex"]) {
        const nc = await connect({ servers: natsUrl, user: tenant, pass: `${tenant}-password` });
        await jetstream(nc).publish("events.created", JSON.stringify({ from: tenant }));
        await nc.close();
      }
      await waitUntil(
        () => ["acme", "globex"].every((t) => receiver.output().includes(`"tenant":"${t}"`)),
        { message: `verified deliveries; receiver said: ${receiver.output()}` },
      );
      assert.ok(!receiver.output().includes("rejected"), receiver.output());
    });
  },
);
