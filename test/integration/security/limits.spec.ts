/**
 * Resource limits over a real port: the largest request message
 * (READ_MAX_BYTES, also after decompression), an import stream with one huge
 * entry, and deadlines on a stream whose reader is slow. After each refusal
 * the server keeps serving.
 *
 * Deadlines are checked twice: with connect-es clients, and with raw requests
 * that carry grpc-timeout / connect-timeout-ms but keep no timer of their own,
 * so only the server can end the call.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import http2 from "node:http2";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { gzipSync } from "node:zlib";
import { create, toBinary } from "@bufbuild/protobuf";
import { Code, createClient, type Client } from "@connectrpc/connect";
import { CreateUserRequestSchema, UserService } from "../../../gen/user/v1/user_pb.js";
import type { StoredUser, UserStore } from "../../../server/storage/store.js";
import { assertConnectError } from "../../support/assert-connect-error.js";
import { protocolTransports } from "../../support/protocol-transports.js";
import { bearer, startServer, type TestServer } from "../../support/start-server.js";

const READ_MAX_BYTES = 65_536;
/** Enough users that a slow reader is still reading long after a 50 ms deadline. */
const LARGE_STORE_SIZE = 20_000;
const DEADLINE_MS = 50;
/** A reader this slow takes minutes over the whole store. */
const READ_PAUSE_MS = 20;
/**
 * connect-es clients deliver the messages they already hold before reporting
 * the deadline (some hundreds over HTTP/2): they read a little faster.
 */
const CLIENT_READ_PAUSE_MS = 5;

let server: TestServer;
let adminToken: string;
/**
 * Closes the clients' connections before the server: after an oversized
 * gRPC message, a connection holds the server's close (see the shutdown test).
 */
const clientConnections = new AbortController();

before(async () => {
  server = await startServer({ env: { READ_MAX_BYTES: String(READ_MAX_BYTES) } });
  adminToken = await server.adminToken();
});

after(async () => {
  clientConnections.abort();
  await server.close();
});

function newUserRequest(username = `u${randomUUID().slice(0, 8)}`) {
  return { username, email: `${username}@example.com`, password: "password-123" };
}

/** Straight into storage, with no password hashing: only the listing matters. */
async function fillStore(store: UserStore, count: number): Promise<void> {
  const users: StoredUser[] = Array.from({ length: count }, (_, i) => ({
    id: randomUUID(),
    username: `bulk_${i}`,
    email: `bulk_${i}@example.com`,
    passwordHash: "unused",
    createdAt: 1_700_000_000 + i,
    roles: ["user"],
  }));
  await store.createMany(users);
}

async function countStored(store: UserStore): Promise<number> {
  return (await store.listPage(undefined, 1_000_000)).length;
}

for (const row of protocolTransports) {
  describe(`limits over ${row.name}`, { timeout: 30_000 }, () => {
    let client: Client<typeof UserService>;

    before(() => {
      client = createClient(
        UserService,
        row.create(server.baseUrl, { interceptors: [bearer(adminToken)], signal: clientConnections.signal }),
      );
    });

    it("refuses a request message over READ_MAX_BYTES with RESOURCE_EXHAUSTED, then serves the next call", async () => {
      const before = await countStored(server.store);

      await assertConnectError(
        client.createUser({ ...newUserRequest(), username: "x".repeat(100 * 1024) }),
        Code.ResourceExhausted,
        /65536/,
      );

      assert.equal(await countStored(server.store), before);
      const user = await client.createUser(newUserRequest());
      assert.equal((await client.getUser({ id: user.id })).id, user.id);
    });

    it("refuses a CreateUsers stream whose 3rd message is too large and imports none of it", async () => {
      const before = await countStored(server.store);
      async function* entries() {
        yield newUserRequest();
        yield newUserRequest();
        yield { ...newUserRequest(), username: "x".repeat(100 * 1024) };
        yield newUserRequest();
      }

      await assertConnectError(client.createUsers(entries()), Code.ResourceExhausted, /65536/);

      assert.equal(await countStored(server.store), before);
      assert.equal((await client.createUsers(fromArray([newUserRequest()]))).count, 1);
    });

    it(`ends ListUsers with DEADLINE_EXCEEDED ${DEADLINE_MS} ms in when the reader is slow, then serves the next call`, async () => {
      await withLargeStore(async () => {
        let read = 0;
        const reading = (async () => {
          for await (const _ of client.listUsers({}, { timeoutMs: DEADLINE_MS })) {
            read++;
            await sleep(CLIENT_READ_PAUSE_MS);
          }
        })();

        await assertConnectError(reading, Code.DeadlineExceeded);

        assert.ok(read < LARGE_STORE_SIZE / 10, `read ${read} users`);
        let count = 0;
        for await (const _ of client.listUsers({ pageSize: 3 })) {
          count++;
        }
        assert.equal(count, 3);
      });
    });
  });
}

describe("deadlines the server enforces on its own", { timeout: 30_000 }, () => {
  it(`ends a slowly read gRPC ListUsers with grpc-timeout ${DEADLINE_MS}m with grpc-status 4 (DEADLINE_EXCEEDED)`, async () => {
    await withLargeStore(async () => {
      const res = await readGrpcSlowly("/user.v1.UserService/ListUsers", grpcFrame(new Uint8Array(0)), {
        "grpc-timeout": `${DEADLINE_MS}m`,
        authorization: `Bearer ${adminToken}`,
      });

      assert.equal(res.status["grpc-status"], "4", JSON.stringify(res.status));
      assert.ok(res.bodyBytes < LARGE_STORE_SIZE * 50, `read ${res.bodyBytes} bytes`);
    });
  });

  it(`ends a slowly read Connect ListUsers with connect-timeout-ms ${DEADLINE_MS} with deadline_exceeded`, async () => {
    await withLargeStore(async () => {
      const res = await fetch(`${server.baseUrl}/user.v1.UserService/ListUsers`, {
        method: "POST",
        headers: {
          "content-type": "application/connect+json",
          "connect-protocol-version": "1",
          "connect-timeout-ms": String(DEADLINE_MS),
          authorization: `Bearer ${adminToken}`,
        },
        body: connectEnvelope(0, Buffer.from("{}")),
        signal: AbortSignal.timeout(20_000),
      });
      assert.equal(res.status, 200);
      const chunks: Uint8Array[] = [];
      for await (const chunk of res.body!) {
        chunks.push(chunk);
        await sleep(READ_PAUSE_MS);
      }

      const envelopes = parseEnvelopes(Buffer.concat(chunks));
      const end = envelopes.at(-1)!;
      assert.equal(end.flags & 0b10, 0b10, "the stream ends with an end-of-stream envelope");
      assert.equal((JSON.parse(end.data.toString()) as { error?: { code?: string } }).error?.code, "deadline_exceeded");
      assert.ok(envelopes.length - 1 < LARGE_STORE_SIZE / 10, `read ${envelopes.length - 1} users`);
    });
  });
});

describe("compressed requests that inflate past READ_MAX_BYTES", { timeout: 30_000 }, () => {
  /** About 1 KB of gzip that inflates to over 1 MB. */
  const bombUsername = "a".repeat(1024 * 1024);

  it("are refused over Connect (content-encoding: gzip) with HTTP 429 resource_exhausted", async () => {
    const body = gzipSync(JSON.stringify({ ...newUserRequest(), username: bombUsername }));
    assert.ok(body.length < 4096, `the compressed body has ${body.length} bytes`);
    const before = await countStored(server.store);

    const res = await fetch(`${server.baseUrl}/user.v1.UserService/CreateUser`, {
      method: "POST",
      headers: { "content-type": "application/json", "content-encoding": "gzip" },
      body,
      signal: AbortSignal.timeout(10_000),
    });

    assert.equal(res.status, 429);
    const error = (await res.json()) as { code?: string; message?: string };
    assert.equal(error.code, "resource_exhausted", JSON.stringify(error));
    assert.equal(await countStored(server.store), before);
  });

  it("are refused over gRPC (grpc-encoding: gzip) with grpc-status 8 (RESOURCE_EXHAUSTED)", async () => {
    const message = toBinary(CreateUserRequestSchema, create(CreateUserRequestSchema, { ...newUserRequest(), username: bombUsername }));
    const compressed = gzipSync(message);
    assert.ok(compressed.length < 4096, `the compressed message has ${compressed.length} bytes`);
    const before = await countStored(server.store);

    const res = await readGrpcSlowly("/user.v1.UserService/CreateUser", grpcFrame(compressed, true), { "grpc-encoding": "gzip" }, 0);

    assert.equal(res.status["grpc-status"], "8", JSON.stringify(res.status));
    assert.equal(await countStored(server.store), before);
  });

  it("leave the server serving", async () => {
    const client = createClient(UserService, protocolTransports[0]!.create(server.baseUrl, { signal: clientConnections.signal }));
    assert.equal((await client.createUser(newUserRequest("after_bomb"))).username, "after_bomb");
  });
});

describe("shutdown after an oversized gRPC request message", { timeout: 30_000 }, () => {
  it("finishes within SHUTDOWN_GRACE_MS while the client's connection stays open", async () => {
    // The server answers RESOURCE_EXHAUSTED having read only part of the
    // 100 KB; the client, held by HTTP/2 flow control, is still sending the
    // rest. Unless the server resets or drains that stream, it never closes,
    // and closing the server waits for it.
    const graceMs = 200;
    const own = await startServer({ env: { READ_MAX_BYTES: String(READ_MAX_BYTES), SHUTDOWN_GRACE_MS: String(graceMs) } });
    const connection = new AbortController();
    try {
      const client = createClient(UserService, protocolTransports[0]!.create(own.baseUrl, { signal: connection.signal }));
      await assertConnectError(client.createUser({ ...newUserRequest(), username: "x".repeat(100 * 1024) }), Code.ResourceExhausted);

      const started = performance.now();
      const closed = await Promise.race([own.close().then(() => true), sleep(graceMs + 2_000).then(() => false)]);

      assert.ok(closed, `the server had not closed ${Math.round(performance.now() - started)} ms after close()`);
    } finally {
      connection.abort();
      await own.close();
    }
  });
});

async function* fromArray<T>(items: readonly T[]): AsyncGenerator<T> {
  yield* items;
}

/** Runs `body` with LARGE_STORE_SIZE more users in the store, removed afterwards. */
async function withLargeStore(body: () => Promise<void>): Promise<void> {
  const existing = new Set((await server.store.listPage(undefined, 1_000_000)).map((u) => u.id));
  await fillStore(server.store, LARGE_STORE_SIZE);
  try {
    await body();
  } finally {
    for (const user of await server.store.listPage(undefined, 1_000_000)) {
      if (!existing.has(user.id)) {
        await server.store.delete(user.id);
      }
    }
  }
}

/** The gRPC length-prefixed message: a flag byte (1: compressed), a 4-byte big-endian length, the bytes. */
function grpcFrame(message: Uint8Array, compressed = false): Buffer {
  const prefix = Buffer.alloc(5);
  prefix.writeUInt8(compressed ? 1 : 0, 0);
  prefix.writeUInt32BE(message.length, 1);
  return Buffer.concat([prefix, message]);
}

/** The Connect streaming envelope: flags (0b10 ends the stream), a 4-byte big-endian length, the bytes. */
function connectEnvelope(flags: number, data: Buffer): Buffer {
  const prefix = Buffer.alloc(5);
  prefix.writeUInt8(flags, 0);
  prefix.writeUInt32BE(data.length, 1);
  return Buffer.concat([prefix, data]);
}

function parseEnvelopes(body: Buffer): { flags: number; data: Buffer }[] {
  const envelopes: { flags: number; data: Buffer }[] = [];
  for (let offset = 0; offset < body.length; ) {
    const length = body.readUInt32BE(offset + 1);
    envelopes.push({ flags: body[offset]!, data: body.subarray(offset + 5, offset + 5 + length) });
    offset += 5 + length;
  }
  return envelopes;
}

interface GrpcOutcome {
  /** grpc-status and grpc-message, from the trailers or a trailers-only answer. */
  readonly status: Record<string, string | undefined>;
  readonly bodyBytes: number;
}

/**
 * A gRPC call over h2c with node:http2, which keeps no deadline of its own:
 * reads the response a chunk at a time, pausing `pauseMs` after each.
 */
async function readGrpcSlowly(
  path: string,
  body: Buffer,
  headers: http2.OutgoingHttpHeaders,
  pauseMs = READ_PAUSE_MS,
): Promise<GrpcOutcome> {
  const session = http2.connect(server.baseUrl);
  try {
    const stream = session.request({
      ":method": "POST",
      ":path": path,
      "content-type": "application/grpc",
      te: "trailers",
      ...headers,
    });
    stream.end(body);
    let responseHeaders: http2.IncomingHttpHeaders = {};
    let trailers: http2.IncomingHttpHeaders = {};
    stream.on("response", (h) => (responseHeaders = h));
    stream.on("trailers", (t) => (trailers = t));
    let bodyBytes = 0;
    const giveUp = setTimeout(() => stream.destroy(new Error("no answer within 20 s")), 20_000);
    try {
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        bodyBytes += chunk.length;
        if (pauseMs > 0) {
          await sleep(pauseMs);
        }
      }
    } finally {
      clearTimeout(giveUp);
    }
    const all = { ...responseHeaders, ...trailers };
    const text = (name: string) => (all[name] === undefined ? undefined : decodeURIComponent(String(all[name])));
    return { status: { "grpc-status": text("grpc-status"), "grpc-message": text("grpc-message") }, bodyBytes };
  } finally {
    session.close();
  }
}
