/**
 * Every RPC ends with one structured log line carrying its request id: the
 * caller's `x-request-id` when it sent a usable one, a new one otherwise,
 * echoed back in the response headers (or error metadata) either way.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { Code, createClient, type Interceptor } from "@connectrpc/connect";
import { UserService } from "../../gen/user/v1/user_pb.js";
import { assertConnectError } from "../support/assert-connect-error.js";
import { createLogCapture, type LogCapture } from "../support/log-capture.js";
import { protocolTransports } from "../support/protocol-transports.js";
import { bearer, startServer, type TestServer } from "../support/start-server.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const withRequestId =
  (id: string): Interceptor =>
  (next) =>
  (req) => {
    req.header.set("x-request-id", id);
    return next(req);
  };

describe("request log", () => {
  let server: TestServer;
  let log: LogCapture;
  const userId = randomUUID();
  let token: string;
  before(async () => {
    log = createLogCapture();
    server = await startServer({ env: { LOG_LEVEL: "info" }, logStream: log.stream });
    token = await server.tokenFor({ userId, roles: ["user"] });
    // One user for ListUsers to stream.
    await createClient(UserService, protocolTransports[0]!.create(server.baseUrl)).createUser({
      username: "logged_user",
      email: "logged_user@example.com",
      password: "correct horse",
    });
  });
  after(() => server.close());

  const rpcLine = (requestId: string) => log.records().find((r) => r.msg === "rpc" && r.requestId === requestId);

  for (const transport of protocolTransports) {
    describe(`over ${transport.name}`, () => {
      it("logs and echoes the caller's request id, with the RPC, code, caller and duration", async () => {
        const requestId = `web-${randomUUID()}`;
        const client = createClient(UserService, transport.create(server.baseUrl, { interceptors: [bearer(token), withRequestId(requestId)] }));
        let echoed: string | null = null;
        for await (const _ of client.listUsers({ pageSize: 1 }, { onHeader: (h) => (echoed = h.get("x-request-id")) }));
        assert.equal(echoed, requestId);
        const line = rpcLine(requestId);
        assert.ok(line, "no log line for the call");
        assert.equal(line.rpc, "user.v1.UserService/ListUsers");
        assert.equal(line.code, "ok");
        assert.equal(line.userId, userId);
        assert.equal(line.peer, "127.0.0.1");
        assert.equal(typeof line.durationMs, "number");
        assert.equal(line.protocol, transport.name.startsWith("gRPC") ? "grpc" : "connect");
        assert.equal(line.httpVersion, transport.name.includes("HTTP/2") ? "2.0" : "1.1");
        assert.equal(line.kind, "server_streaming");
        // A server stream counts what it sent; its one request is not counted.
        assert.equal(line.sent, 1);
        assert.equal(line.received, undefined);
      });

      it("makes an id when the caller sent none or an unusable one, and returns it on errors too", async () => {
        for (const sent of [undefined, "has spaces in it", "x".repeat(129)]) {
          const interceptors = sent === undefined ? [] : [withRequestId(sent)];
          const client = createClient(UserService, transport.create(server.baseUrl, { interceptors }));
          // No token: UNAUTHENTICATED.
          const error = await assertConnectError(client.getUser({ id: randomUUID() }), Code.Unauthenticated);
          const requestId = error.metadata.get("x-request-id");
          assert.match(requestId ?? "", UUID);
          assert.equal(rpcLine(requestId!)?.code, "unauthenticated");
        }
      });
    });
  }

  it("below the info level writes no RPC lines but still echoes the request id", async () => {
    const quiet = createLogCapture();
    const warnOnly = await startServer({ env: { LOG_LEVEL: "warn" }, logStream: quiet.stream });
    try {
      const client = createClient(UserService, protocolTransports[0]!.create(warnOnly.baseUrl, { interceptors: [withRequestId("quiet-call")] }));
      const error = await assertConnectError(client.getUser({ id: randomUUID() }), Code.Unauthenticated);
      assert.equal(error.metadata.get("x-request-id"), "quiet-call");
      assert.equal(quiet.records().filter((r) => r.msg === "rpc").length, 0);
    } finally {
      await warnOnly.close();
    }
  });
});
