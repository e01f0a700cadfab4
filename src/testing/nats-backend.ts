// Which nats-server the harness runs: the local binary wherever there is one, else a container
// where a Docker engine answers. The choice is pure given its probe, so it is unit-tested.
import { NatsServerNotFoundError, findNatsServer } from "./nats-binary.js";

/** The official image; its entrypoint is nats-server itself, so `-c FILE` is the whole command. */
export const DEFAULT_NATS_IMAGE = "nats:2";

export type NatsBackend =
  | { readonly kind: "binary"; readonly bin: string }
  | { readonly kind: "container"; readonly image: string };

export interface BackendProbe {
  readonly env: NodeJS.ProcessEnv;
  /** The binary, or a NatsServerNotFoundError. */
  findBinary(env: NodeJS.ProcessEnv): string;
  /** Whether a Docker engine answers; asked only when there is no binary. */
  dockerEngine(): Promise<boolean>;
}

/**
 * `NATS_SERVER_BIN`, when set, is the only choice: a wrong path is an error, never a silent
 * switch to Docker. Otherwise the binary on PATH; otherwise a container of `NATS_SERVER_IMAGE`
 * (default `nats:2`) when a Docker engine answers; otherwise the binary's not-found advice.
 */
export async function chooseNatsBackend(probe: BackendProbe): Promise<NatsBackend> {
  const { env } = probe;
  let missing: NatsServerNotFoundError;
  try {
    return { kind: "binary", bin: probe.findBinary(env) };
  } catch (error) {
    const pinned = env.NATS_SERVER_BIN !== undefined && env.NATS_SERVER_BIN !== "";
    if (!(error instanceof NatsServerNotFoundError) || pinned) throw error;
    missing = error;
  }
  if (await probe.dockerEngine()) {
    const image = env.NATS_SERVER_IMAGE;
    return {
      kind: "container",
      image: image === undefined || image === "" ? DEFAULT_NATS_IMAGE : image,
    };
  }
  throw new NatsServerNotFoundError(
    `${missing.message} (Without it, the test harness runs nats-server in Docker when a Docker engine answers; none did.)`,
    { cause: missing },
  );
}

/** Whether testcontainers finds a Docker engine; false when the package is not installed. */
async function dockerEngine(): Promise<boolean> {
  try {
    const { getContainerRuntimeClient } = await import("testcontainers");
    await getContainerRuntimeClient();
    return true;
  } catch {
    return false;
  }
}

export const systemProbe = (env: NodeJS.ProcessEnv = process.env): BackendProbe => ({
  env,
  findBinary: findNatsServer,
  dockerEngine,
});
