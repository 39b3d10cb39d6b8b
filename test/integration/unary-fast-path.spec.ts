/**
 * The unary fast paths answer exactly as the general path does. Each case is
 * sent as raw HTTP to two servers, one with UNARY_FAST_PATH=on and one with
 * it off, and the answers must agree: HTTP status, gRPC status and message,
 * error details, the body and the headers a client reads. A spy on the fast
 * path's call classes shows which calls it took.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import http from "node:http";
import http2 from "node:http2";
import { after, before, describe, it, mock } from "node:test";
import { gzipSync } from "node:zlib";
import { create, toBinary } from "@bufbuild/protobuf";
import { LoginRequestSchema } from "../../gen/auth/v1/auth_pb.js";
import { GetUserRequestSchema, UpdateUserRequestSchema } from "../../gen/user/v1/user_pb.js";
import { ConnectUnaryCall } from "../../server/transport/unary-fast-path/connect-unary.js";
import { GrpcUnaryCall } from "../../server/transport/unary-fast-path/grpc-unary.js";
import { encodeEnvelope } from "../support/envelopes.js";
import { startServer, type TestServer } from "../support/start-server.js";

interface Answer {
  readonly httpStatus: number;
  readonly body: string;
  readonly headers: Record<string, string | undefined>;
}

/** Headers a client reads; `date` and the like differ between any two answers. */
const COMPARED_HEADERS = [
  "content-type",
  "content-encoding",
  "content-length",
  "grpc-status",
  "grpc-message",
  "grpc-status-details-bin",
  "grpc-encoding",
  "cache-control",
  "x-request-id",
];
const UUID = /^[0-9a-f-]{36}$/;

function compared(all: Record<string, unknown>): Record<string, string | undefined> {
  const text = (name: string) => (all[name] === undefined ? undefined : String(all[name]));
  // A request id the server made differs per call: only its presence is compared.
  return Object.fromEntries(
    COMPARED_HEADERS.map((name) => [name, name === "x-request-id" && UUID.test(text(name) ?? "") ? "(generated)" : text(name)]),
  );
}

/** One POST over HTTP/2 with prior knowledge; headers and trailers merged, as clients read them. */
function callHttp2(baseUrl: string, path: string, body: Buffer, headers: http2.OutgoingHttpHeaders): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(baseUrl);
    session.on("error", reject);
    const stream = session.request({ ":method": "POST", ":path": path, ...headers });
    const chunks: Buffer[] = [];
    let head: http2.IncomingHttpHeaders = {};
    let tail: http2.IncomingHttpHeaders = {};
    stream.on("response", (h) => (head = h));
    stream.on("trailers", (t) => (tail = t));
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.on("error", reject);
    stream.on("close", () => {
      session.close();
      resolve({ httpStatus: Number(head[":status"]), body: Buffer.concat(chunks).toString("hex"), headers: compared({ ...head, ...tail }) });
    });
    stream.end(body);
  });
}

function callHttp1(baseUrl: string, path: string, body: Buffer, headers: http.OutgoingHttpHeaders): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${baseUrl}${path}`, { method: "POST", agent: false, headers: { "content-length": body.byteLength, ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => resolve({ httpStatus: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("hex"), headers: compared(res.headers) }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

const GET_USER = "/user.v1.UserService/GetUser";
const UPDATE_USER = "/user.v1.UserService/UpdateUser";
const LOGIN = "/auth.v1.AuthService/Login";
const getUserProto = (id: string) => Buffer.from(toBinary(GetUserRequestSchema, create(GetUserRequestSchema, { id })));
const json = (value: unknown) => Buffer.from(JSON.stringify(value));

interface Case {
  readonly name: string;
  readonly path?: string;
  readonly body: Buffer;
  readonly headers?: Record<string, string>;
  /** Whether the fast path takes the call; the answers agree either way. */
  readonly fast?: boolean;
}

describe("unary fast paths", () => {
  let fast: TestServer;
  let general: TestServer;
  const userId = randomUUID();
  let token: string;
  before(async () => {
    // A low threshold, so GetUser's answer is compressed when the client accepts it.
    const env = { COMPRESS_MIN_BYTES: "16", MAX_TIMEOUT_MS: "60000", READ_MAX_BYTES: "4096" };
    fast = await startServer({ env: { ...env, UNARY_FAST_PATH: "on" } });
    general = await startServer({ env: { ...env, UNARY_FAST_PATH: "off" }, store: fast.store });
    // Closing either server closes the shared store: the other's close finds it closed, harmlessly.
    await fast.store.create({ id: userId, username: "fast_ada", email: "fast_ada@example.com", passwordHash: "unused", createdAt: 1, roles: ["user"] });
    token = await fast.tokenFor({ userId, roles: ["user"] });
  });
  after(async () => {
    await general.close();
    await fast.close();
  });

  const auth = () => ({ authorization: `Bearer ${token}`, "x-request-id": "fixed-request-id" });
  const unicodeUpdate = () => ({ id: randomUUID(), username: "ünïcødé_🙂" });

  const protocols: {
    name: string;
    send: typeof callHttp2;
    spy: { prototype: { start(): void } };
    contentType: string;
    cases: () => Case[];
  }[] = [
    {
      name: "gRPC over HTTP/2",
      send: callHttp2,
      spy: GrpcUnaryCall,
      contentType: "application/grpc",
      cases: () => [
        { name: "a successful GetUser", body: encodeEnvelope(getUserProto(userId)), headers: { ...auth(), te: "trailers" } },
        { name: "a compressed answer", body: encodeEnvelope(getUserProto(userId)), headers: { ...auth(), "grpc-accept-encoding": "gzip" } },
        {
          name: "a slow refused Login",
          path: LOGIN,
          body: encodeEnvelope(toBinary(LoginRequestSchema, create(LoginRequestSchema, { username: "nobody_here", password: "wrong password" }))),
        },
        { name: "NOT_FOUND", body: encodeEnvelope(getUserProto(randomUUID())), headers: auth() },
        { name: "UNAUTHENTICATED without a token", body: encodeEnvelope(getUserProto(userId)) },
        { name: "INVALID_ARGUMENT with violation details", body: encodeEnvelope(getUserProto("not-a-uuid")), headers: auth() },
        {
          name: "PERMISSION_DENIED with a unicode message",
          path: UPDATE_USER,
          body: encodeEnvelope(toBinary(UpdateUserRequestSchema, create(UpdateUserRequestSchema, unicodeUpdate()))),
          headers: auth(),
        },
        { name: "a malformed grpc-timeout", body: encodeEnvelope(getUserProto(userId)), headers: { ...auth(), "grpc-timeout": "soon" } },
        { name: "a timeout over MAX_TIMEOUT_MS", body: encodeEnvelope(getUserProto(userId)), headers: { ...auth(), "grpc-timeout": "99999999S" } },
        { name: "no message", body: Buffer.alloc(0), headers: auth() },
        { name: "two messages", body: Buffer.concat([encodeEnvelope(getUserProto(userId)), encodeEnvelope(getUserProto(userId))]), headers: auth() },
        { name: "a truncated envelope", body: encodeEnvelope(getUserProto(userId)).subarray(0, 10), headers: auth() },
        { name: "a declared length over READ_MAX_BYTES", body: Buffer.from([0, 0xff, 0xff, 0xff, 0xff, 1, 2, 3]), headers: auth() },
        { name: "bytes that are not protobuf", body: encodeEnvelope(Buffer.from([0xff, 0xff, 0xff])), headers: auth() },
        { name: "the compressed flag without an encoding", body: encodeEnvelope(gzipSync(getUserProto(userId)), 1), headers: auth() },
        {
          name: "a compressed request (general path)",
          body: encodeEnvelope(gzipSync(getUserProto(userId)), 1),
          headers: { ...auth(), "grpc-encoding": "gzip" },
          fast: false,
        },
        {
          name: "gRPC with JSON (general path)",
          body: encodeEnvelope(json({ id: userId })),
          headers: { ...auth(), "content-type": "application/grpc+json" },
          fast: false,
        },
      ],
    },
    ...[
      { name: "Connect over HTTP/1.1", send: callHttp1 },
      { name: "Connect over HTTP/2", send: callHttp2 },
    ].map(({ name, send }) => ({
      name,
      send,
      spy: ConnectUnaryCall,
      contentType: "application/json",
      cases: (): Case[] => [
        { name: "a successful GetUser in JSON", body: json({ id: userId }), headers: auth() },
        // The password check takes a while: the answer comes well after the request body ended.
        { name: "a slow refused Login", path: LOGIN, body: json({ username: "nobody_here", password: "wrong password" }) },
        {
          name: "a successful GetUser in binary",
          body: getUserProto(userId),
          headers: { ...auth(), "content-type": "application/proto" },
        },
        { name: "a compressed answer", body: json({ id: userId }), headers: { ...auth(), "accept-encoding": "gzip" } },
        { name: "NOT_FOUND", body: json({ id: randomUUID() }), headers: auth() },
        { name: "UNAUTHENTICATED without a token", body: json({ id: userId }) },
        { name: "INVALID_ARGUMENT with violation details", body: json({ id: "not-a-uuid" }), headers: auth() },
        { name: "PERMISSION_DENIED with a unicode message", path: UPDATE_USER, body: json(unicodeUpdate()), headers: auth() },
        { name: "unknown JSON fields (ignored)", body: json({ id: userId, extra: 1 }), headers: auth() },
        { name: "a JSON field of the wrong type", body: json({ id: 42 }), headers: auth() },
        { name: "text that is not JSON", body: Buffer.from("{not json"), headers: auth() },
        { name: "an empty body", body: Buffer.alloc(0), headers: auth() },
        {
          name: "bytes that are not protobuf",
          body: Buffer.from([0xff, 0xff]),
          headers: { ...auth(), "content-type": "application/proto" },
        },
        { name: "a malformed connect-timeout-ms", body: json({ id: userId }), headers: { ...auth(), "connect-timeout-ms": "soon" } },
        { name: "a timeout over MAX_TIMEOUT_MS", body: json({ id: userId }), headers: { ...auth(), "connect-timeout-ms": "99999999" } },
        { name: "a body over READ_MAX_BYTES", body: json({ id: "x".repeat(5000) }), headers: auth() },
        {
          name: "a compressed request (general path)",
          body: gzipSync(json({ id: userId })),
          headers: { ...auth(), "content-encoding": "gzip" },
          fast: false,
        },
      ],
    })),
  ];

  for (const protocol of protocols) {
    describe(protocol.name, () => {
      for (const c of protocol.cases()) {
        it(`answers ${c.name} as the general path does`, async (t) => {
          const taken = t.mock.method(protocol.spy.prototype, "start");
          const path = c.path ?? GET_USER;
          const headers = { "content-type": protocol.contentType, ...c.headers };
          const onGeneral = await protocol.send(general.baseUrl, path, c.body, headers);
          assert.equal(taken.mock.callCount(), 0, "the general server took the fast path");
          taken.mock.restore();
          const started = mock.method(protocol.spy.prototype, "start");
          const onFast = await protocol.send(fast.baseUrl, path, c.body, headers);
          started.mock.restore();
          assert.deepEqual(onFast, onGeneral);
          assert.equal(started.mock.callCount(), c.fast === false ? 0 : 1, "which path took the call");
        });
      }
    });
  }

  it("answers a Connect call that takes a while after its request ended (fetch, HTTP/1.1)", async () => {
    const res = await fetch(`${fast.baseUrl}${LOGIN}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: "nobody_here", password: "wrong password" }),
    });
    assert.equal(res.status, 401);
    assert.match(await res.text(), /invalid username or password/);
  });
});
