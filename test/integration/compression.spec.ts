/**
 * Compression over a real port, negotiated per call: gzip on every protocol,
 * brotli too for clients that ask for it (Connect), in both directions. What
 * the wire carries (the encoding headers, each message's compressed flag),
 * what clients decode (connect-es over gRPC, gRPC-Web and Connect,
 * @grpc/grpc-js, curl --compressed), what stays uncompressed (messages below
 * COMPRESS_MIN_BYTES), and decompression bombs stopped at READ_MAX_BYTES.
 *
 * Compression applies to each message on its own, and a ListUsers page is
 * one message per user (about 100 bytes here): below the default threshold
 * of 1 KiB. The main server compresses from 64 bytes, so that pages show
 * compressed on the wire; a server with the defaults is checked at the end.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import http from "node:http";
import http2 from "node:http2";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { buffer } from "node:stream/consumers";
import { brotliDecompressSync, constants as zlibConstants, createBrotliCompress, gunzipSync, gzipSync } from "node:zlib";
import { create, fromBinary, toBinary, toJsonString } from "@bufbuild/protobuf";
import { Code, createClient, type Transport } from "@connectrpc/connect";
import type { Compression } from "@connectrpc/connect/protocol";
import {
  compressionBrotli,
  compressionGzip,
  createConnectTransport,
  createGrpcTransport,
  createGrpcWebTransport,
} from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import {
  CreateUserRequestSchema,
  ListUsersRequestSchema,
  UserSchema,
  UserService,
  type User,
} from "../../gen/user/v1/user_pb.js";
import { createMemoryStore } from "../../server/storage/memory.js";
import type { StoredUser } from "../../server/storage/store.js";
import { assertConnectError } from "../support/assert-connect-error.js";
import {
  COMPRESSED_FLAG,
  CONNECT_END_STREAM_FLAG,
  encodeEnvelope,
  GRPC_WEB_TRAILERS_FLAG,
  parseEnvelopes,
} from "../support/envelopes.js";
import { bearer, startServer, type TestServer } from "../support/start-server.js";

const root = join(import.meta.dirname, "..", "..");
// Async: the server runs in this process and must keep answering meanwhile.
const run = promisify(execFile);

const LIST_USERS = "/user.v1.UserService/ListUsers";
const GET_USER = "/user.v1.UserService/GetUser";
const PAGE_SIZE = 200;
const MB = 1024 * 1024;
const REQUEST_TIMEOUT_MS = 10_000;

const decompress: Record<string, (bytes: Buffer) => Buffer> = { gzip: gunzipSync, br: brotliDecompressSync };

/**
 * The client's own copy of an algorithm. The server uses connect-node's
 * objects, and these tests count the server's calls to them: a client in
 * this same process must not add its own.
 */
function clientSide(compression: Compression): Compression {
  return { ...compression };
}

/** Users straight into storage (no hashing), in listing order. */
function makeUsers(count: number, prefix: string): StoredUser[] {
  return Array.from({ length: count }, (_, i) => ({
    id: randomUUID(),
    username: `${prefix}_${i}`,
    email: `${prefix}.${i}@example.com`,
    passwordHash: "scrypt$dummy",
    createdAt: 1_600_000_000 + i,
    roles: ["user"],
  }));
}

interface RawAnswer {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly trailers: http.IncomingHttpHeaders;
  readonly body: Buffer;
}

/** One POST with node:http or node:http2, read to its end without decoding anything. */
function postRaw(baseUrl: string, overHttp2: boolean, path: string, headers: Record<string, string>, body: Buffer): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    if (overHttp2) {
      const session = http2.connect(baseUrl);
      session.on("error", reject);
      const stream = session.request({ ":method": "POST", ":path": path, ...headers });
      stream.setTimeout(REQUEST_TIMEOUT_MS, () => stream.close(http2.constants.NGHTTP2_CANCEL));
      let responseHeaders: http2.IncomingHttpHeaders & http2.IncomingHttpStatusHeader = {};
      let trailers: http.IncomingHttpHeaders = {};
      stream.on("response", (h) => (responseHeaders = h));
      stream.on("trailers", (t) => (trailers = t));
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("error", reject);
      stream.on("close", () => {
        session.close();
        resolve({ status: responseHeaders[":status"] ?? 0, headers: responseHeaders, trailers, body: Buffer.concat(chunks) });
      });
      stream.end(body);
      return;
    }
    const req = http.request(`${baseUrl}${path}`, { method: "POST", headers, agent: false, timeout: REQUEST_TIMEOUT_MS }, (res) => {
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, trailers: res.trailers, body: Buffer.concat(chunks) }));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error("no answer in time")));
    req.on("error", reject);
    req.end(body);
  });
}

/** The messages of a stream's body, decompressed; the trailer or end-of-stream message left out. */
function streamMessages(answer: RawAnswer, encoding: string | undefined, endFlag: number): { flags: number; data: Buffer }[] {
  return parseEnvelopes(answer.body)
    .filter((e) => (e.flags & endFlag) === 0)
    .map((e) => ({ flags: e.flags, data: e.flags & COMPRESSED_FLAG ? decompress[encoding!]!(e.data) : e.data }));
}

let server: TestServer;
let token: string;
/** The store's first PAGE_SIZE users, as ListUsers lists them. */
let firstPage: string[];

before(async () => {
  const store = createMemoryStore();
  const users = makeUsers(PAGE_SIZE + 100, "compressed");
  await store.createMany(users);
  firstPage = users.slice(0, PAGE_SIZE).map((u) => u.id);
  server = await startServer({ store, env: { COMPRESS_MIN_BYTES: "64" } });
  token = await server.adminToken();
});

after(() => server.close());

describe("compressed answers on the wire", { timeout: 30_000 }, () => {
  const streams: readonly {
    protocol: string;
    overHttp2: boolean;
    contentType: string;
    accept: Record<string, string>;
    encodingHeader: string;
    encoding: string;
    /** Flags the message after the last one (trailers, end of stream), if the protocol has it. */
    endFlag: number;
  }[] = [
    {
      protocol: "gRPC over HTTP/2",
      overHttp2: true,
      contentType: "application/grpc+proto",
      accept: { "grpc-accept-encoding": "gzip" },
      encodingHeader: "grpc-encoding",
      encoding: "gzip",
      endFlag: 0,
    },
    {
      protocol: "gRPC-Web over HTTP/1.1",
      overHttp2: false,
      contentType: "application/grpc-web+proto",
      accept: { "grpc-accept-encoding": "gzip" },
      encodingHeader: "grpc-encoding",
      encoding: "gzip",
      endFlag: GRPC_WEB_TRAILERS_FLAG,
    },
    {
      protocol: "Connect over HTTP/1.1",
      overHttp2: false,
      contentType: "application/connect+proto",
      accept: { "connect-accept-encoding": "br" },
      encodingHeader: "connect-content-encoding",
      encoding: "br",
      endFlag: CONNECT_END_STREAM_FLAG,
    },
  ];
  for (const { protocol, overHttp2, contentType, accept, encodingHeader, encoding, endFlag } of streams) {
    it(`${protocol}: a ListUsers page comes with ${encodingHeader}: ${encoding}, every message flagged compressed`, async () => {
      const request = encodeEnvelope(toBinary(ListUsersRequestSchema, create(ListUsersRequestSchema, { pageSize: PAGE_SIZE })));
      const answer = await postRaw(
        server.baseUrl,
        overHttp2,
        LIST_USERS,
        { "content-type": contentType, authorization: `Bearer ${token}`, ...accept },
        request,
      );

      assert.equal(answer.status, 200);
      assert.equal(answer.headers[encodingHeader], encoding);
      const messages = streamMessages(answer, encoding, endFlag);
      assert.ok(messages.every((m) => m.flags === COMPRESSED_FLAG), "every message is compressed");
      assert.deepEqual(
        messages.map((m) => fromBinary(UserSchema, m.data).id),
        firstPage,
      );
    });
  }

  it("gRPC: a client that accepts no compression gets none", async () => {
    const request = encodeEnvelope(toBinary(ListUsersRequestSchema, create(ListUsersRequestSchema, { pageSize: PAGE_SIZE })));
    const answer = await postRaw(server.baseUrl, true, LIST_USERS, { "content-type": "application/grpc", authorization: `Bearer ${token}` }, request);

    assert.equal(answer.headers["grpc-encoding"], undefined);
    const messages = streamMessages(answer, undefined, 0);
    assert.equal(messages.length, PAGE_SIZE);
    assert.ok(messages.every((m) => m.flags === 0));
    assert.equal(answer.trailers["grpc-status"], "0");
  });

  const unary = [
    { accept: "gzip, deflate, br, zstd", encoding: "gzip" },
    { accept: "br", encoding: "br" },
    { accept: "identity", encoding: undefined },
  ];
  for (const { accept, encoding } of unary) {
    it(`Connect unary: GetUser asked with accept-encoding: ${accept} answers with content-encoding ${encoding ?? "none"}`, async () => {
      const answer = await postRaw(
        server.baseUrl,
        false,
        GET_USER,
        { "content-type": "application/json", authorization: `Bearer ${token}`, "accept-encoding": accept },
        Buffer.from(JSON.stringify({ id: firstPage[0] })),
      );

      assert.equal(answer.status, 200);
      assert.equal(answer.headers["content-encoding"], encoding);
      const body = encoding === undefined ? answer.body : decompress[encoding]!(answer.body);
      assert.equal((JSON.parse(body.toString()) as { id: string }).id, firstPage[0]);
    });
  }

  it("an answer below COMPRESS_MIN_BYTES goes out uncompressed", async () => {
    const [doomed] = makeUsers(1, "doomed");
    await server.store.createMany([doomed!]);
    const answer = await postRaw(
      server.baseUrl,
      false,
      "/user.v1.UserService/DeleteUser",
      { "content-type": "application/json", authorization: `Bearer ${token}`, "accept-encoding": "gzip" },
      Buffer.from(JSON.stringify({ id: doomed!.id })),
    );

    assert.equal(answer.status, 200);
    assert.equal(answer.headers["content-encoding"], undefined);
    assert.deepEqual(JSON.parse(answer.body.toString()), { success: true });
  });
});

describe("connect-es clients, compressing their requests too", { timeout: 30_000 }, () => {
  // Copied now, before any test replaces the server's methods with counters.
  const gzip = clientSide(compressionGzip);
  const brotli = clientSide(compressionBrotli);
  /** Send and accept only this algorithm; compress every request, however small. */
  const both = (own: Compression) => ({ sendCompression: own, acceptCompression: [own], compressMinBytes: 0, interceptors: [bearer(token)] });
  const transports: readonly { name: string; compression: Compression; create(baseUrl: string): Transport }[] = [
    { name: "gRPC", compression: compressionGzip, create: (baseUrl) => createGrpcTransport({ baseUrl, ...both(gzip) }) },
    { name: "gRPC-Web", compression: compressionGzip, create: (baseUrl) => createGrpcWebTransport({ baseUrl, httpVersion: "1.1", ...both(gzip) }) },
    { name: "Connect with gzip", compression: compressionGzip, create: (baseUrl) => createConnectTransport({ baseUrl, httpVersion: "1.1", ...both(gzip) }) },
    { name: "Connect with brotli", compression: compressionBrotli, create: (baseUrl) => createConnectTransport({ baseUrl, httpVersion: "2", ...both(brotli) }) },
  ];

  for (const transport of transports) {
    it(`${transport.name}: ListUsers and GetUser, requests and answers compressed with ${transport.compression.name}`, async (t) => {
      const serverCompress = t.mock.method(transport.compression, "compress");
      const serverDecompress = t.mock.method(transport.compression, "decompress");
      const client = createClient(UserService, transport.create(server.baseUrl));

      const listed: User[] = [];
      for await (const user of client.listUsers({ pageSize: PAGE_SIZE }, { timeoutMs: REQUEST_TIMEOUT_MS })) {
        listed.push(user);
      }
      const fetched = await client.getUser({ id: firstPage[1]! }, { timeoutMs: REQUEST_TIMEOUT_MS });

      assert.deepEqual(
        listed.map((u) => u.id),
        firstPage,
      );
      assert.equal(fetched.id, firstPage[1]);
      assert.equal(serverDecompress.mock.callCount(), 2, "the server inflated both requests");
      assert.ok(serverCompress.mock.callCount() >= PAGE_SIZE + 1, "the server compressed every user it sent");
    });
  }
});

describe("@grpc/grpc-js with gzip as its channel's compression", { timeout: 60_000 }, () => {
  interface UserServiceClient extends grpc.Client {
    getUser(
      req: { id: string },
      metadata: grpc.Metadata,
      options: grpc.CallOptions,
      callback: (err: grpc.ServiceError | null, user?: { id: string }) => void,
    ): grpc.ClientUnaryCall;
    listUsers(req: { page_size: number }, metadata: grpc.Metadata, options: grpc.CallOptions): grpc.ClientReadableStream<{ id: string }>;
  }
  let client: UserServiceClient;

  before(async () => {
    // Like the grpc-js client spec: the contract compiled as `npm run descriptors` compiles it.
    const dir = mkdtempSync(join(tmpdir(), "grpc-js-contract-"));
    try {
      const imagePath = join(dir, "contract.binpb");
      await run("bash", [join(root, "scripts", "build-image.sh"), imagePath], { cwd: root });
      const definition = protoLoader.loadFileDescriptorSetFromBuffer(readFileSync(imagePath), { longs: String, defaults: true });
      const loaded = grpc.loadPackageDefinition(definition) as unknown as {
        user: { v1: { UserService: new (address: string, credentials: grpc.ChannelCredentials, options: grpc.ChannelOptions) => UserServiceClient } };
      };
      client = new loaded.user.v1.UserService(`127.0.0.1:${server.port}`, grpc.credentials.createInsecure(), {
        "grpc.default_compression_algorithm": grpc.compressionAlgorithms.gzip,
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  after(() => client?.close());

  it("sends gzip requests and reads the gzip answers of ListUsers and GetUser", async (t) => {
    const serverCompress = t.mock.method(compressionGzip, "compress");
    const serverDecompress = t.mock.method(compressionGzip, "decompress");
    const metadata = () => {
      const m = new grpc.Metadata();
      m.set("authorization", `Bearer ${token}`);
      return m;
    };
    const deadline = () => ({ deadline: Date.now() + REQUEST_TIMEOUT_MS });

    const listed = await new Promise<string[]>((resolve, reject) => {
      const ids: string[] = [];
      const call = client.listUsers({ page_size: PAGE_SIZE }, metadata(), deadline());
      call.on("data", (user: { id: string }) => ids.push(user.id));
      call.on("error", reject);
      call.on("end", () => resolve(ids));
    });
    const fetched = await new Promise<{ id: string }>((resolve, reject) =>
      client.getUser({ id: firstPage[2]! }, metadata(), deadline(), (err, user) => (err ? reject(err) : resolve(user!))),
    );

    assert.deepEqual(listed, firstPage);
    assert.equal(fetched.id, firstPage[2]);
    assert.equal(serverDecompress.mock.callCount(), 2, "the server inflated both requests");
    assert.ok(serverCompress.mock.callCount() >= PAGE_SIZE + 1, "the server compressed every user it sent");
  });
});

describe("curl --compressed (Connect unary)", { timeout: 30_000 }, () => {
  /** Runs curl; its output is the answer's headers, a blank line, then the body as curl decoded it. */
  async function curl(args: string[]): Promise<{ headers: string; body: string }> {
    const { stdout } = await run("curl", ["-s", "-S", "-D", "-", "--compressed", "-H", `authorization: Bearer ${token}`, ...args], {
      timeout: REQUEST_TIMEOUT_MS,
    });
    const split = stdout.indexOf("\r\n\r\n");
    return { headers: stdout.slice(0, split).toLowerCase(), body: stdout.slice(split + 4) };
  }
  const getUser = () => [
    "--get",
    `${server.baseUrl}${GET_USER}`,
    "--data-urlencode",
    "connect=v1",
    "--data-urlencode",
    "encoding=json",
    "--data-urlencode",
    `message={"id":"${firstPage[3]}"}`,
  ];

  const cases = [
    { name: "a GET (as in the README), curl's own accept-encoding", args: () => getUser(), encoding: "gzip" },
    { name: "a GET asking for brotli", args: () => ["-H", "accept-encoding: br", ...getUser()], encoding: "br" },
    {
      name: "a POST",
      args: () => ["-H", "content-type: application/json", "-d", `{"id":"${firstPage[3]}"}`, `${server.baseUrl}${GET_USER}`],
      encoding: "gzip",
    },
  ];
  for (const { name, args, encoding } of cases) {
    it(`${name}: content-encoding ${encoding}, decoded by curl`, async () => {
      const { headers, body } = await curl(args());

      assert.match(headers, /^http\/1\.1 200 /);
      assert.match(headers, new RegExp(`^content-encoding: ${encoding}\r$`, "m"));
      assert.equal((JSON.parse(body) as { id: string }).id, firstPage[3]);
    });
  }
});

describe("decompression bombs", { timeout: 60_000 }, () => {
  // 64 copies of one gzip member of 16 MiB of zeros: 1 MiB that inflates to
  // 1 GiB (gzip allows members back to back). Brotli squeezes 1 GiB of zeros
  // into some KB by itself.
  const zeros = Buffer.alloc(16 * MB);
  const gzipBomb = Buffer.concat(Array<Buffer>(64).fill(gzipSync(zeros)));
  let brotliBomb: Buffer;
  before(async () => {
    const compressor = createBrotliCompress({ params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 5 } });
    const compressed = buffer(compressor);
    for (let i = 0; i < 64; i++) {
      compressor.write(zeros);
    }
    compressor.end();
    brotliBomb = await compressed;
  });

  /** An algorithm that sends the bomb in place of whatever message it is given. */
  const sending = (name: string, bomb: () => Buffer): Compression => ({
    name,
    compress: () => Promise.resolve(new Uint8Array(bomb())),
    // Only errors come back, never compressed.
    decompress: () => Promise.reject(new Error("no compressed answer expected")),
  });
  const options = (name: string, bomb: () => Buffer) => ({ sendCompression: sending(name, bomb), compressMinBytes: 0 });
  const transports: readonly { name: string; create(baseUrl: string): Transport }[] = [
    { name: "gRPC, gzip", create: (baseUrl) => createGrpcTransport({ baseUrl, ...options("gzip", () => gzipBomb) }) },
    { name: "gRPC-Web, gzip", create: (baseUrl) => createGrpcWebTransport({ baseUrl, httpVersion: "1.1", ...options("gzip", () => gzipBomb) }) },
    { name: "Connect, gzip", create: (baseUrl) => createConnectTransport({ baseUrl, httpVersion: "1.1", ...options("gzip", () => gzipBomb) }) },
    { name: "Connect, brotli", create: (baseUrl) => createConnectTransport({ baseUrl, httpVersion: "1.1", ...options("br", () => brotliBomb) }) },
  ];

  for (const transport of transports) {
    it(`${transport.name}: a request that inflates to 1 GiB is RESOURCE_EXHAUSTED, and memory stays put`, async (t) => {
      const client = createClient(UserService, transport.create(server.baseUrl));
      const before = process.memoryUsage.rss();
      let peak = before;
      const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 5);
      try {
        await assertConnectError(
          client.createUser({ username: "bomb", email: "bomb@example.com", password: "password-1" }, { timeoutMs: REQUEST_TIMEOUT_MS }),
          Code.ResourceExhausted,
          /^message is larger than configured readMaxBytes 4194304 after decompression$/,
        );
      } finally {
        clearInterval(sampler);
      }
      // The server and this test share the process: inflating the whole bomb would show.
      t.diagnostic(`RSS rose by ${((peak - before) / MB).toFixed(1)} MB at most`);
      assert.ok(peak - before < 200 * MB, `RSS rose by ${((peak - before) / MB).toFixed(0)} MB`);
      assert.equal(await server.store.findByUsername("bomb"), undefined);
    });
  }
});

describe("at the default COMPRESS_MIN_BYTES (1 KiB)", { timeout: 30_000 }, () => {
  let defaults: TestServer;
  let adminToken: string;
  before(async () => {
    const store = createMemoryStore();
    await store.createMany(makeUsers(50, "plain"));
    defaults = await startServer({ store });
    adminToken = await defaults.adminToken();
  });
  after(() => defaults.close());

  it("a ListUsers page goes out uncompressed: each user is a message below 1 KiB", async () => {
    const request = encodeEnvelope(toBinary(ListUsersRequestSchema, create(ListUsersRequestSchema, { pageSize: 50 })));
    const answer = await postRaw(
      defaults.baseUrl,
      true,
      LIST_USERS,
      { "content-type": "application/grpc", authorization: `Bearer ${adminToken}`, "grpc-accept-encoding": "gzip" },
      request,
    );

    // gzip is agreed for the call; no message is large enough to use it.
    assert.equal(answer.headers["grpc-encoding"], "gzip");
    const messages = streamMessages(answer, "gzip", 0);
    assert.equal(messages.length, 50);
    assert.ok(messages.every((m) => m.flags === 0));
  });

  it("a CreateUsers answer of 20 users (some KB in one message) goes out compressed", async () => {
    const entries = Array.from({ length: 20 }, (_, i) =>
      encodeEnvelope(
        Buffer.from(
          toJsonString(
            CreateUserRequestSchema,
            create(CreateUserRequestSchema, { username: `imported_${i}`, email: `imported.${i}@example.com`, password: "password-1" }),
          ),
        ),
      ),
    );
    const answer = await postRaw(
      defaults.baseUrl,
      false,
      "/user.v1.UserService/CreateUsers",
      { "content-type": "application/connect+json", authorization: `Bearer ${adminToken}`, "connect-accept-encoding": "gzip" },
      Buffer.concat(entries),
    );

    assert.equal(answer.headers["connect-content-encoding"], "gzip");
    const [message] = parseEnvelopes(answer.body).filter((e) => (e.flags & CONNECT_END_STREAM_FLAG) === 0);
    assert.equal(message!.flags, COMPRESSED_FLAG);
    const users = (JSON.parse(gunzipSync(message!.data).toString()) as { users: unknown[] }).users;
    assert.equal(users.length, 20);
  });
});
