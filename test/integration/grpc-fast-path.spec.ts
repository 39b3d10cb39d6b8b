/**
 * The unary gRPC fast path answers exactly as the general path does. Each
 * case is sent as raw HTTP/2 to two servers, one with GRPC_FAST_PATH=on and
 * one with it off, and the answers must agree: status, message, details,
 * the response message and the headers a client reads. The fast path sends
 * errors "trailers-only" (one HEADERS frame), which shows it took the call.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import http2 from "node:http2";
import { gzipSync } from "node:zlib";
import { after, before, describe, it } from "node:test";
import { create, toBinary } from "@bufbuild/protobuf";
import { GetUserRequestSchema, UpdateUserRequestSchema } from "../../gen/user/v1/user_pb.js";
import { encodeEnvelope } from "../support/envelopes.js";
import { startServer, type TestServer } from "../support/start-server.js";

interface Answer {
  readonly status: string | undefined;
  readonly message: string | undefined;
  readonly details: string | undefined;
  readonly body: string;
  readonly headers: Record<string, string | undefined>;
  readonly trailersOnly: boolean;
}

/** Headers a client reads; `date` and the like differ between any two answers. */
const COMPARED_HEADERS = ["content-type", "grpc-encoding", "cache-control", "x-request-id"];
const UUID = /^[0-9a-f-]{36}$/;

function call(baseUrl: string, path: string, body: Buffer, headers: http2.OutgoingHttpHeaders = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(baseUrl);
    session.on("error", reject);
    const stream = session.request({
      ":method": "POST",
      ":path": path,
      "content-type": "application/grpc",
      te: "trailers",
      ...headers,
    });
    const chunks: Buffer[] = [];
    let head: http2.IncomingHttpHeaders = {};
    let tail: http2.IncomingHttpHeaders | undefined;
    stream.on("response", (h) => (head = h));
    stream.on("trailers", (t) => (tail = t));
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.on("error", reject);
    stream.on("close", () => {
      session.close();
      const all = { ...head, ...tail };
      const text = (name: string) => (all[name] === undefined ? undefined : String(all[name]));
      resolve({
        status: text("grpc-status"),
        message: text("grpc-message"),
        details: text("grpc-status-details-bin"),
        body: Buffer.concat(chunks).toString("hex"),
        // A request id the server made differs per call: only its presence is compared.
        headers: Object.fromEntries(COMPARED_HEADERS.map((name) => [name, name === "x-request-id" && UUID.test(text(name) ?? "") ? "(generated)" : text(name)])),
        trailersOnly: tail === undefined,
      });
    });
    stream.end(body);
  });
}

const getUser = (id: string) => encodeEnvelope(toBinary(GetUserRequestSchema, create(GetUserRequestSchema, { id })));

describe("gRPC unary fast path", () => {
  let fast: TestServer;
  let general: TestServer;
  let userId: string;
  let auth: Record<string, string>;
  before(async () => {
    // A low threshold, so GetUser's answer is compressed when the client accepts gzip.
    const env = { COMPRESS_MIN_BYTES: "16", MAX_TIMEOUT_MS: "60000" };
    fast = await startServer({ env: { ...env, GRPC_FAST_PATH: "on" } });
    general = await startServer({ env: { ...env, GRPC_FAST_PATH: "off" }, store: fast.store });
    userId = randomUUID();
    const user = { id: userId, username: "fast_ada", email: "fast_ada@example.com", passwordHash: "unused", createdAt: 1, roles: ["user"] };
    // Closing either server closes the shared store: the other's close finds it closed, harmlessly.
    await fast.store.create(user);
    auth = { authorization: `Bearer ${await fast.tokenFor({ userId, roles: ["user"] })}`, "x-request-id": "fixed-request-id" };
  });
  after(async () => {
    await general.close();
    await fast.close();
  });

  const cases: { name: string; path?: string; body: () => Buffer; headers?: () => http2.OutgoingHttpHeaders; trailersOnly?: boolean }[] = [
    { name: "a successful GetUser", body: () => getUser(userId), headers: () => auth, trailersOnly: false },
    { name: "a compressed answer (grpc-accept-encoding: gzip)", body: () => getUser(userId), headers: () => ({ ...auth, "grpc-accept-encoding": "gzip" }), trailersOnly: false },
    { name: "NOT_FOUND", body: () => getUser(randomUUID()), headers: () => auth },
    { name: "UNAUTHENTICATED without a token", body: () => getUser(userId) },
    { name: "INVALID_ARGUMENT with violation details", body: () => getUser("not-a-uuid"), headers: () => auth },
    {
      name: "PERMISSION_DENIED with a unicode message intact",
      path: "/user.v1.UserService/UpdateUser",
      body: () => encodeEnvelope(toBinary(UpdateUserRequestSchema, create(UpdateUserRequestSchema, { id: randomUUID(), username: "ünïcødé_🙂" }))),
      headers: () => auth,
    },
    { name: "a malformed grpc-timeout", body: () => getUser(userId), headers: () => ({ ...auth, "grpc-timeout": "soon" }) },
    { name: "a timeout over MAX_TIMEOUT_MS", body: () => getUser(userId), headers: () => ({ ...auth, "grpc-timeout": "99999999S" }) },
    { name: "no message", body: () => Buffer.alloc(0), headers: () => auth },
    { name: "two messages", body: () => Buffer.concat([getUser(userId), getUser(userId)]), headers: () => auth },
    { name: "a truncated envelope", body: () => getUser(userId).subarray(0, 10), headers: () => auth },
    { name: "a declared length over READ_MAX_BYTES", body: () => Buffer.from([0, 0xff, 0xff, 0xff, 0xff, 1, 2, 3]), headers: () => auth },
    { name: "bytes that are not protobuf", body: () => encodeEnvelope(Buffer.from([0xff, 0xff, 0xff])), headers: () => auth },
    { name: "the compressed flag without an encoding", body: () => encodeEnvelope(gzipSync(toBinary(GetUserRequestSchema, create(GetUserRequestSchema, { id: userId }))), 1), headers: () => auth },
  ];

  for (const c of cases) {
    it(`answers ${c.name} as the general path does`, async () => {
      const path = c.path ?? "/user.v1.UserService/GetUser";
      const body = c.body();
      const headers = c.headers?.();
      const [onFast, onGeneral] = await Promise.all([call(fast.baseUrl, path, body, headers), call(general.baseUrl, path, body, headers)]);
      const { trailersOnly, ...fastAnswer } = onFast;
      const { trailersOnly: _, ...generalAnswer } = onGeneral;
      assert.deepEqual(fastAnswer, generalAnswer);
      assert.equal(trailersOnly, c.trailersOnly ?? true, "the fast path did not take the call");
    });
  }

  it("leaves other calls to the general path: compressed requests, gRPC+JSON, streams", async () => {
    const compressed = await call(fast.baseUrl, "/user.v1.UserService/GetUser", encodeEnvelope(gzipSync(toBinary(GetUserRequestSchema, create(GetUserRequestSchema, { id: userId }))), 1), {
      ...auth,
      "grpc-encoding": "gzip",
    });
    assert.equal(compressed.status, "0");
    const json = await call(fast.baseUrl, "/user.v1.UserService/GetUser", encodeEnvelope(Buffer.from(JSON.stringify({ id: userId }))), {
      ...auth,
      "content-type": "application/grpc+json",
    });
    assert.equal(json.status, "0");
    assert.equal(json.headers["content-type"], "application/grpc+json");
  });
});
