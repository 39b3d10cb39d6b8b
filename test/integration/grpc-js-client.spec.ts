/**
 * The service as a typical Node user meets it: @grpc/grpc-js with the .proto
 * loaded at run time by @grpc/proto-loader, insecure h2c, callbacks and
 * Node streams. Nothing here shares code with the server (no generated
 * types, no Connect), so it catches wire-level mistakes that a Connect client
 * built from the same code would forgive.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import type { StoredUser } from "../../server/storage/store.js";
import { createMemoryStore } from "../../server/storage/memory.js";
import { startServer, type TestServer } from "../support/start-server.js";

// The message shapes proto-loader produces with { longs: String, defaults: true }.
interface User {
  id: string;
  username: string;
  email: string;
  createdAt: string;
  roles: string[];
}
interface CreateUserRequest {
  username: string;
  email: string;
  password: string;
}
interface UpdateUserRequest {
  id: string;
  username?: string;
  email?: string;
}
interface ListUsersRequest {
  pageSize?: number;
  pageToken?: string;
}
interface CreateUsersResponse {
  users: User[];
  count: number;
}
interface ChatMessage {
  userId: string;
  text: string;
  timestamp?: string;
}

type Callback<T> = (err: grpc.ServiceError | null, value?: T) => void;
interface UnaryMethod<Req, Res> {
  (req: Req, callback: Callback<Res>): grpc.ClientUnaryCall;
  (req: Req, metadata: grpc.Metadata, options: grpc.CallOptions, callback: Callback<Res>): grpc.ClientUnaryCall;
}

/** What grpc.loadPackageDefinition builds for user.v1.UserService, typed for this test. */
interface UserServiceClient extends grpc.Client {
  getUser: UnaryMethod<{ id: string }, User>;
  createUser: UnaryMethod<CreateUserRequest, User>;
  updateUser: UnaryMethod<UpdateUserRequest, User>;
  deleteUser: UnaryMethod<{ id: string }, { success: boolean }>;
  listUsers(req: ListUsersRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<User>;
  createUsers(callback: Callback<CreateUsersResponse>): grpc.ClientWritableStream<CreateUserRequest>;
  chat(options?: grpc.CallOptions): grpc.ClientDuplexStream<ChatMessage, ChatMessage>;
}

// user.proto imports buf/validate/validate.proto, which is not on disk here
// (see scripts/build-image.sh): like grpcurl's -protoset users, this client
// loads the compiled contract, built as `npm run descriptors` builds it.
const imageDir = mkdtempSync(join(tmpdir(), "grpc-js-contract-"));
const imagePath = join(imageDir, "contract.binpb");
execFileSync("bash", [fileURLToPath(new URL("../../scripts/build-image.sh", import.meta.url)), imagePath], {
  cwd: fileURLToPath(new URL("../..", import.meta.url)),
  stdio: "pipe",
});
const packageDefinition = protoLoader.loadFileDescriptorSetFromBuffer(readFileSync(imagePath), {
  keepCase: false,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
});
rmSync(imageDir, { recursive: true, force: true });
const loaded = grpc.loadPackageDefinition(packageDefinition) as unknown as {
  user: { v1: { UserService: new (address: string, credentials: grpc.ChannelCredentials) => UserServiceClient } };
};

/** Calls a unary method and settles with its result or its grpc.ServiceError. */
function unary<Req, Res>(method: UnaryMethod<Req, Res>, req: Req, options: grpc.CallOptions = {}): Promise<Res> {
  return new Promise((resolve, reject) => {
    method(req, new grpc.Metadata(), options, (err, value) => (err ? reject(err) : resolve(value!)));
  });
}

/**
 * Error details as a grpc-js user should read them. grpc-js decodes
 * grpc-message with decodeURI, which leaves escapes such as %3A (":") in place
 * when a server escapes more than the gRPC spec requires; the test "error
 * details arrive unescaped" checks that separately, so the checks of codes
 * and messages here do not all fail for that one reason.
 */
function readableDetails(details: string): string {
  try {
    return decodeURIComponent(details);
  } catch {
    return details;
  }
}

/** An assert.rejects matcher for a grpc-js error with this code and a message matching `details`. */
function grpcError(code: grpc.status, details: RegExp) {
  return (err: unknown): boolean => {
    const e = err as grpc.ServiceError;
    assert.equal(e.code, code, `expected ${grpc.status[code]}, got ${grpc.status[e.code]}: ${e.details}`);
    assert.match(readableDetails(e.details), details);
    return true;
  };
}

/** Reads a server stream to its end: every message and the final status (with trailers). */
function readAll<T>(call: grpc.ClientReadableStream<T>): Promise<{ messages: T[]; status: grpc.StatusObject }> {
  return new Promise((resolve) => {
    const messages: T[] = [];
    call.on("data", (message: T) => messages.push(message));
    // A failed call emits 'error' before 'status'; the status is what we check.
    call.on("error", () => {});
    call.on("status", (status: grpc.StatusObject) => resolve({ messages, status }));
  });
}

/** The final status of any call (it also ends failed calls, after 'error'). */
function statusOf(call: NodeJS.EventEmitter): Promise<grpc.StatusObject> {
  return new Promise((resolve) => {
    call.on("error", () => {});
    call.on("status", resolve);
  });
}

function nextPageToken(status: grpc.StatusObject): string | undefined {
  const [token] = status.metadata.get("next-page-token");
  return token === undefined ? undefined : String(token);
}

let seq = 0;
function newUserRequest(prefix = "grpcjs"): CreateUserRequest {
  seq++;
  return { username: `${prefix}_${seq}`, email: `${prefix}.${seq}@example.com`, password: `password ${seq}` };
}

/** Users stored directly, in listing order, for the paging tests. */
function seedUsers(count: number): StoredUser[] {
  const users = Array.from({ length: count }, (_, i) => ({
    id: randomUUID(),
    username: `seeded_${i}`,
    email: `seeded.${i}@example.com`,
    passwordHash: "not-a-real-hash",
    // Several users per second, so the id breaks ties in the listing order.
    createdAt: 1_600_000_000 + Math.floor(i / 4),
    roles: ["user"],
  }));
  return users.sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1));
}

describe("a @grpc/grpc-js client with a run-time loaded .proto", { timeout: 60_000 }, () => {
  const SEEDED = 2_500;
  const seeded = seedUsers(SEEDED);
  let server: TestServer;
  let client: UserServiceClient;
  const clients: grpc.Client[] = [];
  // Streaming calls a failed test may leave open; an open stream would keep
  // the server's close() waiting.
  const calls: grpc.Call[] = [];

  function track<C extends grpc.Call>(call: C): C {
    calls.push(call);
    return call;
  }

  function newClient(): UserServiceClient {
    const c = new loaded.user.v1.UserService(`127.0.0.1:${server.port}`, grpc.credentials.createInsecure());
    clients.push(c);
    return c;
  }

  before(async () => {
    const store = createMemoryStore();
    await store.createMany(seeded);
    server = await startServer({ store });
    client = newClient();
  });

  after(async () => {
    for (const call of calls) {
      call.cancel();
    }
    for (const c of clients) {
      c.close();
    }
    await server?.close();
  });

  describe("unary", () => {
    it("CreateUser returns the new user; GetUser finds it", async () => {
      const req = newUserRequest();
      const created = await unary(client.createUser.bind(client), req);
      assert.match(created.id, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      assert.equal(created.username, req.username);
      assert.equal(created.email, req.email);
      assert.deepEqual(created.roles, ["user"]);
      // int64 arrives as a decimal string with longs: String.
      assert.equal(typeof created.createdAt, "string");
      assert.ok(Math.abs(Number(created.createdAt) - Date.now() / 1000) < 60, `createdAt ${created.createdAt}`);
      assert.equal(Object.hasOwn(created, "password"), false);

      assert.deepEqual(await unary(client.getUser.bind(client), { id: created.id }), created);
    });

    it("CreateUser with a bad field is INVALID_ARGUMENT naming the field", async () => {
      await assert.rejects(
        unary(client.createUser.bind(client), { ...newUserRequest(), email: "not an email" }),
        grpcError(grpc.status.INVALID_ARGUMENT, /^email must be an email address/),
      );
      await assert.rejects(
        unary(client.createUser.bind(client), { ...newUserRequest(), password: "short" }),
        grpcError(grpc.status.INVALID_ARGUMENT, /^password must be 8 to 1024 characters/),
      );
    });

    it("CreateUser with a taken username or email (any case) is ALREADY_EXISTS", async () => {
      const taken = newUserRequest();
      await unary(client.createUser.bind(client), taken);
      await assert.rejects(
        unary(client.createUser.bind(client), { ...newUserRequest(), username: taken.username.toUpperCase() }),
        grpcError(grpc.status.ALREADY_EXISTS, /^username ".*" is already taken$/),
      );
      await assert.rejects(
        unary(client.createUser.bind(client), { ...newUserRequest(), email: taken.email }),
        grpcError(grpc.status.ALREADY_EXISTS, /^email ".*" is already taken$/),
      );
    });

    it("GetUser: an unknown id is NOT_FOUND, a malformed one INVALID_ARGUMENT", async () => {
      const unknown = randomUUID();
      await assert.rejects(
        unary(client.getUser.bind(client), { id: unknown }),
        grpcError(grpc.status.NOT_FOUND, new RegExp(`^no user has id ${unknown}$`)),
      );
      await assert.rejects(
        unary(client.getUser.bind(client), { id: "42" }),
        grpcError(grpc.status.INVALID_ARGUMENT, /^id must be a user id/),
      );
    });

    it("UpdateUser changes only the fields that are set (proto3 optional presence)", async () => {
      const user = await unary(client.createUser.bind(client), newUserRequest());
      const email = `changed.${seq}@example.com`;
      const updated = await unary(client.updateUser.bind(client), { id: user.id, email });
      assert.deepEqual(updated, { ...user, email });
      // A set but empty username is a value to check, not an absent field.
      await assert.rejects(
        unary(client.updateUser.bind(client), { id: user.id, username: "" }),
        grpcError(grpc.status.INVALID_ARGUMENT, /^username must be 3 to 32 characters/),
      );
      await assert.rejects(
        unary(client.updateUser.bind(client), { id: randomUUID(), email }),
        grpcError(grpc.status.NOT_FOUND, /^no user has id /),
      );
      const other = await unary(client.createUser.bind(client), newUserRequest());
      await assert.rejects(
        unary(client.updateUser.bind(client), { id: other.id, email: email.toUpperCase() }),
        grpcError(grpc.status.ALREADY_EXISTS, /^email ".*" is already taken$/),
      );
    });

    it("DeleteUser removes the user; deleting it again is NOT_FOUND", async () => {
      const user = await unary(client.createUser.bind(client), newUserRequest());
      assert.deepEqual(await unary(client.deleteUser.bind(client), { id: user.id }), { success: true });
      await assert.rejects(unary(client.getUser.bind(client), { id: user.id }), grpcError(grpc.status.NOT_FOUND, /./));
      await assert.rejects(
        unary(client.deleteUser.bind(client), { id: user.id }),
        grpcError(grpc.status.NOT_FOUND, new RegExp(`^no user has id ${user.id}$`)),
      );
    });

    it("a call whose deadline is already all but spent is DEADLINE_EXCEEDED", async () => {
      await assert.rejects(
        unary(client.createUser.bind(client), newUserRequest(), { deadline: Date.now() + 1 }),
        grpcError(grpc.status.DEADLINE_EXCEEDED, /./),
      );
    });

    it("an unknown method is UNIMPLEMENTED", async () => {
      const call = new Promise<Buffer>((resolve, reject) => {
        client.makeUnaryRequest(
          "/user.v1.UserService/Nope",
          (message: Buffer) => message,
          (bytes: Buffer) => bytes,
          Buffer.alloc(0),
          (err, value) => (err ? reject(err) : resolve(value!)),
        );
      });
      await assert.rejects(call, grpcError(grpc.status.UNIMPLEMENTED, /Nope/));
    });
  });

  describe("error details", () => {
    it("error details arrive unescaped, as grpc-js decodes grpc-message", async () => {
      // ":" and "," are printable ASCII: the gRPC spec lets them travel as is,
      // and grpc-js (decodeURI) does not turn %3A or %2C back into them.
      await assert.rejects(
        unary(client.createUser.bind(client), { ...newUserRequest(), username: "x" }),
        (err: grpc.ServiceError) => {
          assert.equal(err.details, 'username must be 3 to 32 characters of letters, digits, "_", "." or "-"');
          return true;
        },
      );
    });
  });

  describe("server streaming: ListUsers", () => {
    it("page_size 0 streams every user in order, with no next-page-token", async () => {
      const { messages, status } = await readAll(client.listUsers({ pageSize: 0 }));
      assert.equal(status.code, grpc.status.OK, status.details);
      // The unary tests above add users too; the seeded ones come first (older).
      assert.deepEqual(
        messages.slice(0, SEEDED).map((u) => u.id),
        seeded.map((u) => u.id),
      );
      assert.equal(nextPageToken(status), undefined);
    });

    it("walks page by page with the next-page-token trailer to the end", async () => {
      const pageSize = 700;
      const seen: User[] = [];
      let pageToken = "";
      let pages = 0;
      for (;;) {
        const { messages, status } = await readAll(client.listUsers({ pageSize, pageToken }));
        assert.equal(status.code, grpc.status.OK, status.details);
        assert.ok(messages.length <= pageSize, `${messages.length} users on a page of ${pageSize}`);
        seen.push(...messages);
        pages++;
        const token = nextPageToken(status);
        if (token === undefined) {
          break;
        }
        assert.equal(messages.length, pageSize, "a page followed by another is full");
        pageToken = token;
        assert.ok(pages < 100, "paging should end");
      }
      const everyone = (await readAll(client.listUsers({ pageSize: 0 }))).messages;
      assert.deepEqual(seen, everyone);
      assert.equal(pages, Math.ceil(everyone.length / pageSize));
      assert.equal(seen[0]!.createdAt, String(seeded[0]!.createdAt));
    });

    it("page sizes above the cap are lowered to 1000", async () => {
      const { messages, status } = await readAll(client.listUsers({ pageSize: 5_000 }));
      assert.equal(status.code, grpc.status.OK);
      assert.equal(messages.length, 1_000);
      assert.ok(nextPageToken(status), "a next-page-token trailer");
    });

    it("a negative page_size or a forged page_token is INVALID_ARGUMENT", async () => {
      const negative = await readAll(client.listUsers({ pageSize: -1 }));
      assert.equal(negative.status.code, grpc.status.INVALID_ARGUMENT);
      assert.match(readableDetails(negative.status.details), /page_size must not be negative/);
      const forged = await readAll(client.listUsers({ pageSize: 10, pageToken: "bm9wZQ" }));
      assert.equal(forged.status.code, grpc.status.INVALID_ARGUMENT);
      assert.match(readableDetails(forged.status.details), /^page_token is invalid/);
    });
  });

  describe("client streaming: CreateUsers", () => {
    function importUsers(entries: CreateUserRequest[]): Promise<CreateUsersResponse> {
      return new Promise((resolve, reject) => {
        const call = track(client.createUsers((err, value) => (err ? reject(err) : resolve(value!))));
        for (const entry of entries) {
          call.write(entry);
        }
        call.end();
      });
    }

    it("creates every user sent, in order", async () => {
      const entries = [newUserRequest("import"), newUserRequest("import"), newUserRequest("import")];
      const res = await importUsers(entries);
      assert.equal(res.count, 3);
      assert.deepEqual(
        res.users.map((u) => [u.username, u.email]),
        entries.map((e) => [e.username, e.email]),
      );
      for (const user of res.users) {
        assert.deepEqual(await unary(client.getUser.bind(client), { id: user.id }), user);
      }
    });

    it("an invalid entry fails the whole import with INVALID_ARGUMENT naming its index", async () => {
      const entries = [newUserRequest("import"), newUserRequest("import"), { ...newUserRequest("import"), username: "x" }];
      await assert.rejects(importUsers(entries), grpcError(grpc.status.INVALID_ARGUMENT, /^entry 2: username must be/));
      // All or none: the valid entries were not stored either.
      for (const entry of entries) {
        assert.equal(await server.store.findByUsername(entry.username), undefined);
      }
    });

    it("a username repeated within the import is ALREADY_EXISTS naming both entries", async () => {
      const first = newUserRequest("import");
      const entries = [first, newUserRequest("import"), { ...newUserRequest("import"), username: first.username }];
      await assert.rejects(
        importUsers(entries),
        grpcError(grpc.status.ALREADY_EXISTS, /^entry 2: username ".*" already appears at entry 0/),
      );
    });
  });

  describe("bidi streaming: Chat", () => {
    it("two grpc-js calls see each other's messages with server timestamps", async () => {
      const next = async (reader: AsyncIterator<ChatMessage>) => (await reader.next()).value as ChatMessage;
      const started = Date.now();

      // A member joins when its call reaches the server; the echo of its own
      // first message proves that. Bob calls only once Alice is in, so each
      // sees exactly what is said after its own first message.
      const alice = track(newClient().chat());
      const aliceReads = alice[Symbol.asyncIterator]();
      alice.write({ userId: "alice", text: "alice joined" });
      assert.equal((await next(aliceReads)).text, "alice joined");
      const bob = track(newClient().chat());
      const bobReads = bob[Symbol.asyncIterator]();
      bob.write({ userId: "bob", text: "bob joined" });
      assert.equal((await next(bobReads)).text, "bob joined");
      assert.equal((await next(aliceReads)).text, "bob joined");

      alice.write({ userId: "alice", text: "hi bob", timestamp: "1" });
      bob.write({ userId: "bob", text: "hi alice" });
      const aliceSaw = [await next(aliceReads), await next(aliceReads)];
      const bobSaw = [await next(bobReads), await next(bobReads)];
      assert.deepEqual(aliceSaw, bobSaw, "both see the same messages in the same order");
      assert.deepEqual(
        aliceSaw.map((m) => [m.userId, m.text]).sort(),
        [
          ["alice", "hi bob"],
          ["bob", "hi alice"],
        ],
      );
      for (const message of aliceSaw) {
        // Set by the server (the client's "1" is ignored): unix milliseconds.
        const timestamp = Number(message.timestamp);
        assert.ok(timestamp >= started - 1_000 && timestamp <= Date.now() + 1_000, `timestamp ${message.timestamp}`);
      }

      const aliceStatus = statusOf(alice);
      const bobStatus = statusOf(bob);
      alice.end();
      bob.end();
      // Ending the sending side ends the member, which ends its response stream.
      assert.equal((await next(aliceReads)), undefined);
      assert.equal((await next(bobReads)), undefined);
      assert.equal((await aliceStatus).code, grpc.status.OK);
      assert.equal((await bobStatus).code, grpc.status.OK);
    });

    it("an empty message ends the sender's stream with INVALID_ARGUMENT", async () => {
      const call = track(newClient().chat());
      call.write({ userId: "carol", text: "   " });
      const reader = call[Symbol.asyncIterator]();
      await assert.rejects(reader.next(), grpcError(grpc.status.INVALID_ARGUMENT, /^text must not be empty$/));
    });
  });
});
