/**
 * Closing the server does not wait forever on streams that never end: after
 * the grace period they end with UNAVAILABLE and the port closes.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { describe, it } from "node:test";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createWritableIterable } from "@connectrpc/connect/protocol";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { UserService, type ChatMessageSchema } from "../../gen/user/v1/user_pb.js";
import { bearer, startServer } from "../support/start-server.js";

/** Bounds every call, so a server that never ends a stream fails the test instead of hanging it. */
const CALL_TIMEOUT_MS = 10_000;

describe("shutdown", { timeout: 30_000 }, () => {
  it("ends open Chat streams with UNAVAILABLE after the grace period and closes", async () => {
    const server = await startServer({ env: { SHUTDOWN_GRACE_MS: "300" } });
    // Chat needs a signed-in member.
    const interceptors = [bearer(await server.tokenFor({ userId: randomUUID(), roles: ["user"] }))];
    const transports = [
      createGrpcTransport({ baseUrl: server.baseUrl, interceptors }),
      createConnectTransport({ baseUrl: server.baseUrl, httpVersion: "2", interceptors }),
    ];
    const outcomes = transports.map(async (transport) => {
      const requests = createWritableIterable<MessageInitShape<typeof ChatMessageSchema>>();
      const responses = createClient(UserService, transport)
        .chat(requests, { timeoutMs: CALL_TIMEOUT_MS })
        [Symbol.asyncIterator]();
      await requests.write({ text: "hello" });
      await responses.next();
      // Keep the stream open (never close `requests`) and read until it ends.
      try {
        while (!(await responses.next()).done);
      } catch (e) {
        return ConnectError.from(e);
      }
      return assert.fail("the stream should have failed");
    });
    // Both streams are open once each got its first message back.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const started = Date.now();
    await server.close();
    const elapsed = Date.now() - started;
    for (const error of await Promise.all(outcomes)) {
      assert.equal(error.code, Code.Unavailable);
      assert.match(error.rawMessage, /shutting down/);
    }
    assert.ok(elapsed < 5_000, `close took ${elapsed} ms`);
  });

  it("lets a keep-alive HTTP/1.1 connection close with the server", async () => {
    const server = await startServer();
    const response = await fetch(`${server.baseUrl}/user.v1.UserService/GetUser`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${await server.adminToken()}` },
      body: JSON.stringify({ id: randomUUID() }),
      signal: AbortSignal.timeout(CALL_TIMEOUT_MS),
    });
    // The call reached the service (an unknown id), not just the auth check.
    assert.equal(response.status, 404);
    await response.text();
    const started = Date.now();
    await server.close();
    assert.ok(Date.now() - started < 2_000);
  });
});
