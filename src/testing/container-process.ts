// nats-server in a Docker container, for machines with a Docker engine and no nats-server
// binary. It runs on the host's network, so the generated configuration's loopback ports and
// paths hold unchanged: the configuration and store directories are mounted at the same paths.
// testcontainers' reaper removes the container if this process dies without stopping it.
import type { OutputBuffer, Running } from "./server-process.js";

export async function launchContainer(
  image: string,
  mounts: readonly string[],
  conf: string,
  output: OutputBuffer,
): Promise<Running> {
  const { GenericContainer, Wait, getContainerRuntimeClient } = await import("testcontainers");
  const state = { gone: false, how: "running" };
  let started;
  try {
    started = await new GenericContainer(image)
      .withNetworkMode("host")
      .withBindMounts(mounts.map((path) => ({ source: path, target: path })))
      .withCommand(["-c", conf])
      .withAutoRemove(true)
      .withWaitStrategy(Wait.forLogMessage(/Server is ready/))
      .start();
  } catch (error) {
    // Start-up failures (a port in use, a bad configuration) reach the caller as output, like a
    // process that exited at once.
    output.append(Buffer.from(`container ${image}: ${String(error)}\n`));
    return {
      pid: undefined,
      exited: Promise.resolve(),
      hasExited: () => true,
      exitDescription: () => "the container did not start",
      signal: () => undefined,
    };
  }
  const logs = await started.logs();
  logs.on("data", (chunk: Buffer | string) => {
    output.append(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  });
  const client = await getContainerRuntimeClient();
  const container = client.container.getById(started.getId());
  const exited = (async () => {
    try {
      const result = (await container.wait()) as { StatusCode?: number };
      state.how = `code ${String(result.StatusCode)}`;
    } catch (error) {
      state.how = `gone (${String(error)})`;
    }
    state.gone = true;
  })();
  return {
    pid: undefined,
    exited,
    hasExited: () => state.gone,
    exitDescription: () => state.how,
    signal: (signal) => {
      container.kill({ signal }).catch(() => {
        // Already stopped: `exited` tells the caller.
      });
    },
  };
}
