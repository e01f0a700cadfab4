import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  DEFAULT_NATS_IMAGE,
  chooseNatsBackend,
  type BackendProbe,
} from "../../src/testing/nats-backend.js";
import { NatsServerNotFoundError } from "../../src/testing/nats-binary.js";

/** A probe whose binary lookup and Docker answer are given, counting the Docker questions. */
function probe(
  env: NodeJS.ProcessEnv,
  binary: string | undefined,
  docker: boolean,
): BackendProbe & { readonly asked: () => number } {
  let asked = 0;
  return {
    env,
    findBinary: () => {
      if (binary === undefined) throw new NatsServerNotFoundError("nats-server was not found.");
      return binary;
    },
    dockerEngine: () => {
      asked++;
      return Promise.resolve(docker);
    },
    asked: () => asked,
  };
}

describe("chooseNatsBackend", () => {
  test("a binary wins, and Docker is not even asked", async () => {
    const p = probe({}, "/usr/sbin/nats-server", true);
    assert.deepEqual(await chooseNatsBackend(p), { kind: "binary", bin: "/usr/sbin/nats-server" });
    assert.equal(p.asked(), 0);
  });

  test("no binary and a Docker engine: a container of the default image", async () => {
    const p = probe({}, undefined, true);
    assert.deepEqual(await chooseNatsBackend(p), { kind: "container", image: DEFAULT_NATS_IMAGE });
    assert.equal(p.asked(), 1);
  });

  test("NATS_SERVER_IMAGE names the container's image", async () => {
    const p = probe({ NATS_SERVER_IMAGE: "nats:2.10.27" }, undefined, true);
    assert.deepEqual(await chooseNatsBackend(p), { kind: "container", image: "nats:2.10.27" });
  });

  test("a wrong NATS_SERVER_BIN is an error, never a silent switch to Docker", async () => {
    const p = probe({ NATS_SERVER_BIN: "/nonexistent/nats-server" }, undefined, true);
    await assert.rejects(chooseNatsBackend(p), NatsServerNotFoundError);
    assert.equal(p.asked(), 0);
  });

  test("neither: the not-found advice, saying Docker was tried", async () => {
    const p = probe({}, undefined, false);
    await assert.rejects(
      chooseNatsBackend(p),
      (error: unknown) =>
        error instanceof NatsServerNotFoundError &&
        /nats-server was not found/.test(error.message) &&
        /Docker engine/.test(error.message),
    );
  });

  test("an unexpected lookup error is not mistaken for a missing binary", async () => {
    const p: BackendProbe = {
      env: {},
      findBinary: () => {
        throw new TypeError("boom");
      },
      dockerEngine: () => Promise.resolve(true),
    };
    await assert.rejects(chooseNatsBackend(p), TypeError);
  });
});
