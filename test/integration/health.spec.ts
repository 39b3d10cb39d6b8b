/**
 * Health over a real port, as probes and load balancers see it: a
 * grpc_health_probe-style Check from @grpc/grpc-js (schema from the generated
 * descriptor, nothing shared with the server's code), Watch, /healthz and
 * /readyz; NOT_SERVING while storage is unreachable and during shutdown,
 * including the drain after SIGTERM; a second signal ends the process at once.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { create, toBinary } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { file_grpc_health_v1_health, Health, HealthCheckResponse_ServingStatus } from "../../gen/grpc/health/v1/health_pb.js";
import { createMemoryStore } from "../../server/storage/memory.js";
import type { UserStore } from "../../server/storage/store.js";
import { spawnServer, type SpawnedServer } from "../support/spawn-server.js";
import { startServer, TEST_JWT_SECRET, type TestServer } from "../support/start-server.js";

const { SERVING, NOT_SERVING } = HealthCheckResponse_ServingStatus;
const CALL_TIMEOUT_MS = 5_000;

interface HealthClient extends grpc.Client {
  check(
    request: { service: string },
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: (err: grpc.ServiceError | null, response?: { status: string }) => void,
  ): grpc.ClientUnaryCall;
}

// grpc-js learns grpc.health.v1 from the generated file's embedded descriptor.
const HealthClientConstructor = (() => {
  const set = create(FileDescriptorSetSchema, { file: [file_grpc_health_v1_health.proto] });
  const definition = protoLoader.loadFileDescriptorSetFromBuffer(Buffer.from(toBinary(FileDescriptorSetSchema, set)), {
    enums: String,
  });
  const loaded = grpc.loadPackageDefinition(definition) as unknown as {
    grpc: { health: { v1: { Health: new (address: string, credentials: grpc.ChannelCredentials) => HealthClient } } };
  };
  return loaded.grpc.health.v1.Health;
})();

/** What grpc_health_probe does: one Check with a deadline, on a fresh connection. */
async function probe(port: number, service = ""): Promise<string> {
  const client = new HealthClientConstructor(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  try {
    return await new Promise((resolve, reject) => {
      client.check({ service }, new grpc.Metadata(), { deadline: Date.now() + CALL_TIMEOUT_MS }, (err, response) =>
        err ? reject(err) : resolve(response!.status),
      );
    });
  } finally {
    client.close();
  }
}

async function readyz(baseUrl: string): Promise<{ code: number; body: unknown }> {
  const response = await fetch(`${baseUrl}/readyz`, { signal: AbortSignal.timeout(CALL_TIMEOUT_MS) });
  return { code: response.status, body: await response.json() };
}

/** Polls until `check` passes, or fails with its last error after `timeoutMs`. */
async function eventually(check: () => Promise<void>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (e) {
      if (Date.now() > deadline) {
        throw e;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

function watch(baseUrl: string, signal?: AbortSignal) {
  const client = createClient(Health, createGrpcTransport({ baseUrl }));
  return client.watch({ service: "" }, { timeoutMs: 20_000, signal })[Symbol.asyncIterator]();
}

describe("health", () => {
  let server: TestServer;
  before(async () => (server = await startServer({ env: { RATE_LIMIT_ANONYMOUS: "1/min" } })));
  after(() => server.close());

  it("answers a grpc-js Check without a token, for the server and each service", async () => {
    assert.equal(await probe(server.port), "SERVING");
    assert.equal(await probe(server.port, "user.v1.UserService"), "SERVING");
    assert.equal(await probe(server.port, "auth.v1.AuthService"), "SERVING");
  });

  it("answers NOT_FOUND for an unknown service", async () => {
    await assert.rejects(probe(server.port, "nope.v1.Nope"), (e: grpc.ServiceError) => e.code === grpc.status.NOT_FOUND);
  });

  it("does not rate-limit Check: load balancers check often", async () => {
    for (let i = 0; i < 5; i++) {
      assert.equal(await probe(server.port), "SERVING");
    }
  });

  it("limits Watch, a stream held open, like other anonymous calls", async () => {
    const abort = new AbortController();
    try {
      assert.equal((await watch(server.baseUrl, abort.signal).next()).value?.status, SERVING);
      await assert.rejects(watch(server.baseUrl, abort.signal).next(), (e) => ConnectError.from(e).code === Code.ResourceExhausted);
    } finally {
      abort.abort();
    }
  });

  it("answers /healthz and /readyz with 200 and a JSON status", async () => {
    const healthz = await fetch(`${server.baseUrl}/healthz`);
    assert.equal(healthz.status, 200);
    assert.deepEqual(await healthz.json(), { status: "ALIVE" });
    assert.deepEqual(await readyz(server.baseUrl), { code: 200, body: { status: "SERVING" } });
  });
});

describe("health while storage is unreachable", () => {
  const memory = createMemoryStore();
  let storageDown = false;
  const store: UserStore = {
    ...memory,
    ping: () => (storageDown ? Promise.reject(new Error("connection refused")) : memory.ping()),
  };
  let server: TestServer;
  before(async () => (server = await startServer({ store, env: { HEALTH_POLL_MS: "50" } })));
  after(() => server.close());

  it("turns NOT_SERVING for Watch, Check and /readyz, and back", async () => {
    const abort = new AbortController();
    const statuses = watch(server.baseUrl, abort.signal);
    assert.equal((await statuses.next()).value?.status, SERVING);

    storageDown = true;
    assert.equal((await statuses.next()).value?.status, NOT_SERVING);
    assert.equal(await probe(server.port), "NOT_SERVING");
    assert.equal(await probe(server.port, "user.v1.UserService"), "NOT_SERVING");
    assert.deepEqual(await readyz(server.baseUrl), { code: 503, body: { status: "NOT_SERVING" } });

    storageDown = false;
    assert.equal((await statuses.next()).value?.status, SERVING);
    assert.equal((await readyz(server.baseUrl)).code, 200);
    abort.abort();
  });
});

describe("health during shutdown", () => {
  it("closing the server: an open Watch sees NOT_SERVING, then UNAVAILABLE after the grace period", async () => {
    // The Watch stream itself holds the close open until the grace period ends.
    const server = await startServer({ env: { SHUTDOWN_GRACE_MS: "500" } });
    const statuses = watch(server.baseUrl);
    assert.equal((await statuses.next()).value?.status, SERVING);
    const closed = server.close();
    assert.equal((await statuses.next()).value?.status, NOT_SERVING);
    await assert.rejects(statuses.next(), (e) => {
      const error = ConnectError.from(e);
      return error.code === Code.Unavailable && /shutting down/.test(error.rawMessage);
    });
    await closed;
  });

  describe("on a signal (a separate process)", () => {
    const spawned = new Set<SpawnedServer>();
    const spawn = async (env: Record<string, string>) => {
      const server = await spawnServer({ env: { STORAGE: "memory", JWT_SECRET: TEST_JWT_SECRET, ...env } });
      spawned.add(server);
      return server;
    };
    after(() => Promise.all([...spawned].map((server) => server.stop("SIGKILL"))));

    it("SIGTERM: NOT_SERVING while the port still accepts for SHUTDOWN_DRAIN_MS, then exit 0", async () => {
      const server = await spawn({ SHUTDOWN_DRAIN_MS: "1500" });
      assert.equal(await probe(server.port), "SERVING");
      const signalled = Date.now();
      process.kill(server.pid, "SIGTERM");
      await eventually(async () => assert.deepEqual(await readyz(server.baseUrl), { code: 503, body: { status: "NOT_SERVING" } }));
      // New connections are still accepted: a load balancer's next check learns it.
      assert.equal(await probe(server.port), "NOT_SERVING");
      assert.equal((await fetch(`${server.baseUrl}/healthz`)).status, 200);
      assert.equal(await server.exited, 0);
      assert.ok(Date.now() - signalled >= 1_500, "the drain lasted SHUTDOWN_DRAIN_MS");
    });

    it("a second signal exits at once", async () => {
      const server = await spawn({ SHUTDOWN_DRAIN_MS: "60000" });
      process.kill(server.pid, "SIGTERM");
      await eventually(async () => assert.equal((await readyz(server.baseUrl)).code, 503));
      const started = Date.now();
      // 128 + 2: the shell's code for death by SIGINT.
      assert.equal(await server.stop("SIGINT"), 130);
      assert.ok(Date.now() - started < 2_000);
    });
  });
});
