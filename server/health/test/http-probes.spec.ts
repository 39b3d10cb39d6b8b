import assert from "node:assert/strict";
import { describe, it } from "node:test";
import Fastify from "fastify";
import { createHealthChecker, ServingStatus } from "../health-checker.js";
import { httpProbes } from "../http-probes.js";

async function createProbedApp() {
  const checker = createHealthChecker();
  const app = Fastify();
  await app.register(httpProbes, { checker });
  return { app, checker };
}

describe("HTTP probes", () => {
  it("answers /healthz 200 whatever the health, uncached", async () => {
    const { app, checker } = await createProbedApp();
    checker.setStatus("", ServingStatus.NOT_SERVING);
    const response = await app.inject({ method: "GET", url: "/healthz" });
    assert.equal(response.statusCode, 200);
    assert.equal(response.headers["cache-control"], "no-store");
    assert.deepEqual(response.json(), { status: "ALIVE" });
  });

  it("answers /readyz 200 while the server is SERVING, 503 otherwise", async () => {
    const { app, checker } = await createProbedApp();
    const ready = await app.inject({ method: "GET", url: "/readyz" });
    assert.equal(ready.statusCode, 200);
    assert.deepEqual(ready.json(), { status: "SERVING" });

    checker.setStatus("", ServingStatus.NOT_SERVING);
    const notReady = await app.inject({ method: "GET", url: "/readyz" });
    assert.equal(notReady.statusCode, 503);
    assert.equal(notReady.headers["cache-control"], "no-store");
    assert.deepEqual(notReady.json(), { status: "NOT_SERVING" });
  });

  it("answers /readyz 503 once shutting down", async () => {
    const { app, checker } = await createProbedApp();
    checker.shutdown();
    assert.equal((await app.inject({ method: "GET", url: "/readyz" })).statusCode, 503);
  });
});
