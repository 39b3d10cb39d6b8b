import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Code, ConnectError, createClient, createRouterTransport } from "@connectrpc/connect";
import { Health } from "../../../gen/grpc/health/v1/health_pb.js";
import { createHealthChecker, ServingStatus } from "../health-checker.js";
import { createHealthService } from "../health-service.js";

const { SERVING, NOT_SERVING, SERVICE_UNKNOWN } = ServingStatus;

function createHealthClient() {
  const checker = createHealthChecker();
  const client = createClient(Health, createRouterTransport((router) => router.service(Health, createHealthService(checker))));
  return { checker, client };
}

describe("health service", () => {
  it("checks the whole server and a known service", async () => {
    const { checker, client } = createHealthClient();
    checker.setStatus("user.v1.UserService", NOT_SERVING);
    assert.equal((await client.check({})).status, SERVING);
    assert.equal((await client.check({ service: "user.v1.UserService" })).status, NOT_SERVING);
  });

  it("answers NOT_FOUND to a check of an unknown service", async () => {
    const { client } = createHealthClient();
    await assert.rejects(client.check({ service: "nope.v1.Nope" }), (e) => {
      const error = ConnectError.from(e);
      return error.code === Code.NotFound && error.rawMessage.includes("nope.v1.Nope");
    });
  });

  it("lists every known service", async () => {
    const { checker, client } = createHealthClient();
    checker.setStatus("user.v1.UserService", SERVING);
    const { statuses } = await client.list({});
    assert.deepEqual(
      Object.fromEntries(Object.entries(statuses).map(([service, response]) => [service, response.status])),
      { "": SERVING, "user.v1.UserService": SERVING },
    );
  });

  it("refuses to list more than 100 services", async () => {
    const { checker, client } = createHealthClient();
    for (let i = 0; i < 100; i++) {
      checker.setStatus(`service${i}`, SERVING);
    }
    await assert.rejects(client.list({}), (e) => ConnectError.from(e).code === Code.ResourceExhausted);
  });

  it("watches: the status now, then each change, SERVICE_UNKNOWN for an unknown service", async () => {
    const { checker, client } = createHealthClient();
    const abort = new AbortController();
    const watch = client.watch({ service: "later" }, { signal: abort.signal })[Symbol.asyncIterator]();
    assert.equal((await watch.next()).value?.status, SERVICE_UNKNOWN);
    checker.setStatus("later", SERVING);
    assert.equal((await watch.next()).value?.status, SERVING);
    checker.shutdown();
    assert.equal((await watch.next()).value?.status, NOT_SERVING);
    abort.abort();
    await assert.rejects(watch.next(), (e) => ConnectError.from(e).code === Code.Canceled);
  });
});
