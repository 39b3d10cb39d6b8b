/**
 * The wire, without a Connect client: what curl, a browser's fetch or a
 * hand-written gRPC client sees. Connect over HTTP/1.1 with fetch; gRPC over
 * h2c with node:http2.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import http2 from "node:http2";
import { after, before, describe, it } from "node:test";
import { create, fromBinary, toBinary, type DescMessage, type MessageInitShape } from "@bufbuild/protobuf";
import {
  CreateUserRequestSchema,
  GetUserRequestSchema,
  UserSchema,
} from "../../gen/user/v1/user_pb.js";
import type { StoredUser } from "../../server/storage/store.js";
import { startServer, type TestServer } from "../support/start-server.js";

const REQUEST_TIMEOUT_MS = 5_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let server: TestServer;
/** `authorization: Bearer <an admin's token>`: every RPC but CreateUser needs a token. */
let asAdmin: Record<string, string>;
/** CreateUser is public: sign-up needs no token. */
const anonymous: Record<string, string> = {};

before(async () => {
  server = await startServer();
  asAdmin = { authorization: `Bearer ${await server.adminToken()}` };
});

after(async () => {
  await server.close();
});

describe("Connect unary over HTTP/1.1", { timeout: 30_000 }, () => {
  it("answers POST CreateUser with 200 and the user as JSON, without the password", async () => {
    const res = await postJson(
      "/user.v1.UserService/CreateUser",
      { username: " curl_user ", email: "curl@example.com", password: "hunter2hunter2" },
      anonymous,
    );

    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /^application\/json/);
    const body = (await res.json()) as Record<string, unknown>;
    assert.deepEqual(Object.keys(body).sort(), ["createdAt", "email", "id", "roles", "username"]);
    assert.match(String(body.id), UUID);
    assert.equal(body.username, "curl_user");
    assert.equal(body.email, "curl@example.com");
    assert.deepEqual(body.roles, ["user"]);
    // int64 travels as a decimal string in protobuf JSON.
    assert.ok(Math.abs(Number(body.createdAt) - Date.now() / 1000) <= 2, `createdAt ${String(body.createdAt)}`);
  });

  const errors: readonly { name: string; call: () => Promise<Response>; status: number; code: string; message: RegExp }[] = [
    {
      name: "a bad username",
      call: () =>
        postJson("/user.v1.UserService/CreateUser", { username: "x", email: "x@example.com", password: "password1" }, anonymous),
      status: 400,
      code: "invalid_argument",
      message: /^username: must be 3 to 32 characters/,
    },
    {
      name: "an unknown user",
      call: () => postJson("/user.v1.UserService/GetUser", { id: "6f1c1f52-4f0e-4d4e-9a51-0b8d8b0c6f31" }, asAdmin),
      status: 404,
      code: "not_found",
      message: /^no user has id 6f1c1f52-4f0e-4d4e-9a51-0b8d8b0c6f31/,
    },
    {
      name: "a taken username",
      call: async () => {
        await insertUser({ username: "taken_name" });
        return postJson(
          "/user.v1.UserService/CreateUser",
          { username: "TAKEN_NAME", email: `${randomUUID()}@example.com`, password: "password1" },
          anonymous,
        );
      },
      status: 409,
      code: "already_exists",
      message: /^username "TAKEN_NAME" is already taken/,
    },
    {
      name: "a GetUser without a token",
      call: async () => postJson("/user.v1.UserService/GetUser", { id: (await insertUser()).id }, anonymous),
      status: 401,
      code: "unauthenticated",
      message: /^missing access token/,
    },
  ];
  for (const { name, call, status, code, message } of errors) {
    it(`answers ${name} with HTTP ${status} and a JSON error body of code ${code}`, async () => {
      const res = await call();

      assert.equal(res.status, status);
      assert.match(res.headers.get("content-type") ?? "", /^application\/json/);
      const body = (await res.json()) as Record<string, unknown>;
      assertConnectErrorBody(body, code);
      assert.match(String(body.message), message);
    });
  }

  describe("GET for GetUser (no side effects)", () => {
    it("answers a JSON message in the query with the user as JSON", async () => {
      const user = await insertUser();
      const query = new URLSearchParams({ connect: "v1", encoding: "json", message: JSON.stringify({ id: user.id }) });

      const res = await fetchBounded(`${server.baseUrl}/user.v1.UserService/GetUser?${query}`, { headers: asAdmin });

      assert.equal(res.status, 200);
      assert.match(res.headers.get("content-type") ?? "", /^application\/json/);
      const body = (await res.json()) as Record<string, unknown>;
      assert.equal(body.id, user.id);
      assert.equal(body.username, user.username);
    });

    it("answers a base64url binary message in the query with the user as binary", async () => {
      const user = await insertUser();
      const message = Buffer.from(encode(GetUserRequestSchema, { id: user.id })).toString("base64url");
      const query = new URLSearchParams({ connect: "v1", encoding: "proto", base64: "1", message });

      const res = await fetchBounded(`${server.baseUrl}/user.v1.UserService/GetUser?${query}`, { headers: asAdmin });

      assert.equal(res.status, 200);
      assert.match(res.headers.get("content-type") ?? "", /^application\/proto/);
      const answer = fromBinary(UserSchema, new Uint8Array(await res.arrayBuffer()));
      assert.equal(answer.id, user.id);
      assert.equal(answer.email, user.email);
    });

    it("answers a GET for an unknown user with 404 and code not_found", async () => {
      const query = new URLSearchParams({ connect: "v1", encoding: "json", message: JSON.stringify({ id: randomUUID() }) });

      const res = await fetchBounded(`${server.baseUrl}/user.v1.UserService/GetUser?${query}`, { headers: asAdmin });

      assert.equal(res.status, 404);
      assertConnectErrorBody((await res.json()) as Record<string, unknown>, "not_found");
    });
  });

  describe("caching", () => {
    // The answer depends on the token and holds personal data: no cache keeps
    // it, nor the refusals (a shared cache may keep a 404 by heuristics).
    const getUser = (id: string) =>
      `${server.baseUrl}/user.v1.UserService/GetUser?${new URLSearchParams({ connect: "v1", encoding: "json", message: JSON.stringify({ id }) })}`;
    const answers = [
      { name: "a GET with a token", status: 200, call: async () => fetchBounded(getUser((await insertUser()).id), { headers: asAdmin }) },
      { name: "a GET without a token", status: 401, call: async () => fetchBounded(getUser((await insertUser()).id)) },
      { name: "a GET for an unknown id", status: 404, call: () => fetchBounded(getUser(randomUUID()), { headers: asAdmin }) },
      { name: "a POST", status: 200, call: async () => postJson("/user.v1.UserService/GetUser", { id: (await insertUser()).id }, asAdmin) },
    ];
    for (const { name, status, call } of answers) {
      it(`answers ${name} (HTTP ${status}) with cache-control: private, no-store`, async () => {
        const res = await call();
        await res.arrayBuffer();

        assert.equal(res.status, status);
        assert.equal(res.headers.get("cache-control"), "private, no-store");
      });
    }
  });

  it("refuses GET for CreateUser with 405 and creates nothing", async () => {
    const request = { username: "via_get", email: "via_get@example.com", password: "password1" };
    const query = new URLSearchParams({ connect: "v1", encoding: "json", message: JSON.stringify(request) });

    const res = await fetchBounded(`${server.baseUrl}/user.v1.UserService/CreateUser?${query}`);
    await res.arrayBuffer();

    assert.equal(res.status, 405);
    assert.equal(await server.store.findByUsername("via_get"), undefined);
  });

  const unknownPaths = ["/user.v1.UserService/NoSuchMethod", "/ghost.v1.GhostService/GetUser"];
  for (const path of unknownPaths) {
    it(`answers a Connect request to ${path} with 404 and code unimplemented`, async () => {
      const res = await postJson(path, {}, asAdmin);

      assert.equal(res.status, 404);
      assertConnectErrorBody((await res.json()) as Record<string, unknown>, "unimplemented");
    });
  }

  it("answers a request with content-type image/jpeg with 415", async () => {
    const res = await fetchBounded(`${server.baseUrl}/user.v1.UserService/CreateUser`, {
      method: "POST",
      headers: { "content-type": "image/jpeg" },
      body: new Uint8Array([0xff, 0xd8, 0xff, 0xe0]),
    });
    await res.arrayBuffer();

    assert.equal(res.status, 415);
  });
});

describe("gRPC over h2c", { timeout: 30_000 }, () => {
  it("answers GetUser with one framed User and grpc-status 0 in the trailers", async () => {
    const user = await insertUser();

    const res = await grpcCall("/user.v1.UserService/GetUser", frame(encode(GetUserRequestSchema, { id: user.id })), asAdmin);

    assert.equal(res.headers[":status"], 200);
    assert.match(String(res.headers["content-type"]), /^application\/grpc(\+proto)?$/);
    assert.equal(res.trailers["grpc-status"], "0");
    assert.ok(!res.trailers["grpc-message"], "grpc-message must be empty on success");
    const [message, ...rest] = unframe(res.body);
    assert.equal(rest.length, 0, "exactly one response message");
    const answer = fromBinary(UserSchema, message!);
    assert.equal(answer.id, user.id);
    assert.equal(answer.username, user.username);
  });

  it("answers an unknown method with HTTP 200 and grpc-status 12 (UNIMPLEMENTED)", async () => {
    const res = await grpcCall("/user.v1.UserService/NoSuchMethod", frame(new Uint8Array(0)), asAdmin);

    assert.equal(res.headers[":status"], 200);
    // A trailers-only answer puts grpc-status in the one HEADERS frame.
    assert.equal(res.trailers["grpc-status"] ?? res.headers["grpc-status"], "12");
  });

  it("answers a validation error with grpc-status 3 and the message in grpc-message", async () => {
    const res = await grpcCall("/user.v1.UserService/GetUser", frame(encode(GetUserRequestSchema, { id: "42" })), asAdmin);

    const trailers = { ...res.headers, ...res.trailers };
    assert.equal(trailers["grpc-status"], "3");
    assert.match(decodeURIComponent(String(trailers["grpc-message"])), /^id: must be a valid UUID$/);
  });

  it("answers GetUser without a token with grpc-status 16 (UNAUTHENTICATED)", async () => {
    const user = await insertUser();

    const res = await grpcCall("/user.v1.UserService/GetUser", frame(encode(GetUserRequestSchema, { id: user.id })), anonymous);

    assert.equal(res.headers[":status"], 200);
    const trailers = { ...res.headers, ...res.trailers };
    assert.equal(trailers["grpc-status"], "16");
    assert.match(decodeURIComponent(String(trailers["grpc-message"])), /^missing access token/);
    assert.equal(unframe(res.body).length, 0, "no user in the answer");
  });

  it("percent-encodes grpc-message", async () => {
    const email = "100%sure@example.com";
    await insertUser({ email });

    const res = await grpcCall(
      "/user.v1.UserService/CreateUser",
      frame(encode(CreateUserRequestSchema, { username: "percent", email, password: "password1" })),
      anonymous,
    );

    const trailers = { ...res.headers, ...res.trailers };
    assert.equal(trailers["grpc-status"], "6");
    const raw = String(trailers["grpc-message"]);
    assert.match(raw, /^[\x20-\x7e]*$/, "grpc-message must be printable ASCII");
    assert.doesNotMatch(raw, /%(?![0-9A-Fa-f]{2})/, `a bare "%" in grpc-message: ${raw}`);
    assert.equal(decodeURIComponent(raw), `email "${email}" is already taken`);
  });

  it("answers content-type image/jpeg with 415", async () => {
    const res = await h2Request(
      { ":method": "POST", ":path": "/user.v1.UserService/GetUser", "content-type": "image/jpeg" },
      new Uint8Array([0xff, 0xd8]),
    );

    assert.equal(res.headers[":status"], 415);
  });
});

// --- Helpers -----------------------------------------------------------------

let userSequence = 0;

/** Straight into storage: no password hashing, and no RPC under test involved. */
async function insertUser(fields: Partial<StoredUser> = {}): Promise<StoredUser> {
  const n = ++userSequence;
  const user: StoredUser = {
    id: randomUUID(),
    username: `raw_${n}`,
    email: `raw_${n}@example.com`,
    passwordHash: "unused",
    createdAt: 1_700_000_000 + n,
    roles: ["user"],
    ...fields,
  };
  await server.store.create(user);
  return user;
}

function encode<Desc extends DescMessage>(schema: Desc, init: MessageInitShape<Desc>): Uint8Array {
  return toBinary(schema, create(schema, init));
}

function fetchBounded(url: string, init: RequestInit = {}): Promise<Response> {
  return fetch(url, { ...init, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
}

/** `auth`: the authorization header, if any (asAdmin or anonymous). */
function postJson(path: string, body: unknown, auth: Record<string, string>): Promise<Response> {
  return fetchBounded(`${server.baseUrl}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...auth },
    body: JSON.stringify(body),
  });
}

/** A Connect error body has `code` and `message`, and `details` only when there are some. */
function assertConnectErrorBody(body: Record<string, unknown>, code: string): void {
  const keys = Object.keys(body).sort();
  assert.deepEqual(
    keys.filter((k) => k !== "details"),
    ["code", "message"],
    `unexpected keys in ${JSON.stringify(body)}`,
  );
  if ("details" in body) {
    assert.ok(Array.isArray(body.details) && body.details.length > 0, "details, when present, is a non-empty array");
  }
  assert.equal(body.code, code);
  assert.equal(typeof body.message, "string");
}

/** The gRPC length-prefixed message: flag byte 0 (uncompressed), 4-byte big-endian length, bytes. */
function frame(message: Uint8Array): Buffer {
  const prefix = Buffer.alloc(5);
  prefix.writeUInt32BE(message.length, 1);
  return Buffer.concat([prefix, message]);
}

function unframe(body: Buffer): Uint8Array[] {
  const messages: Uint8Array[] = [];
  let offset = 0;
  while (offset < body.length) {
    assert.ok(body.length - offset >= 5, "truncated frame prefix");
    assert.equal(body[offset], 0, "compressed or trailer frame in a gRPC body");
    const length = body.readUInt32BE(offset + 1);
    assert.ok(body.length - offset - 5 >= length, "truncated frame");
    messages.push(new Uint8Array(body.subarray(offset + 5, offset + 5 + length)));
    offset += 5 + length;
  }
  return messages;
}

interface H2Response {
  readonly headers: http2.IncomingHttpHeaders & http2.IncomingHttpStatusHeader;
  readonly trailers: http2.IncomingHttpHeaders;
  readonly body: Buffer;
}

/** `auth`: the authorization metadata, if any (asAdmin or anonymous). */
function grpcCall(path: string, body: Uint8Array, auth: Record<string, string>): Promise<H2Response> {
  return h2Request({ ":method": "POST", ":path": path, "content-type": "application/grpc", te: "trailers", ...auth }, body);
}

/** One request on its own h2c connection (prior knowledge), closed afterwards. */
async function h2Request(headers: http2.OutgoingHttpHeaders, body: Uint8Array): Promise<H2Response> {
  const session = http2.connect(server.baseUrl);
  try {
    return await new Promise<H2Response>((resolve, reject) => {
      session.once("error", reject);
      const stream = session.request(headers, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
      let responseHeaders: H2Response["headers"] = {};
      let trailers: http2.IncomingHttpHeaders = {};
      const chunks: Buffer[] = [];
      stream.once("response", (h) => (responseHeaders = h));
      stream.once("trailers", (t) => (trailers = t));
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.once("error", reject);
      stream.once("end", () => resolve({ headers: responseHeaders, trailers, body: Buffer.concat(chunks) }));
      stream.end(body);
    });
  } finally {
    session.close();
  }
}
