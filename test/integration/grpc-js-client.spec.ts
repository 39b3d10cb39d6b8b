/**
 * The service as a typical Node user meets it: @grpc/grpc-js with the
 * contract (its compiled descriptor set) loaded at run time by
 * @grpc/proto-loader, metadata for the bearer token, insecure h2c, callbacks
 * and Node streams. Nothing here shares code with the server (no generated
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

// The message shapes proto-loader produces from the contract image with
// { keepCase: true, longs: String, defaults: true }. Loaded from a descriptor
// set, field names are always as in the .proto (snake_case), whatever keepCase
// says; a camelCase key in a request is dropped without a word, so these
// interfaces spell the fields exactly as the wire schema does.
interface User {
  id: string;
  username: string;
  email: string;
  created_at: string;
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
  roles?: string[];
}
interface ListUsersRequest {
  page_size?: number;
  page_token?: string;
}
interface CreateUsersResponse {
  users: User[];
  count: number;
}
interface ChatMessage {
  user_id: string;
  text: string;
  timestamp?: string;
}
interface LoginRequest {
  username: string;
  password: string;
}
interface LoginResponse {
  access_token: string;
  expires_at: string;
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
  listUsers(req: ListUsersRequest, metadata?: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<User>;
  createUsers(metadata: grpc.Metadata, callback: Callback<CreateUsersResponse>): grpc.ClientWritableStream<CreateUserRequest>;
  chat(metadata?: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<ChatMessage, ChatMessage>;
}

/** What grpc.loadPackageDefinition builds for auth.v1.AuthService. */
interface AuthServiceClient extends grpc.Client {
  login: UnaryMethod<LoginRequest, LoginResponse>;
}

type ClientConstructor<C> = new (address: string, credentials: grpc.ChannelCredentials) => C;

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
  // A descriptor set keeps the .proto's names whatever this says; saying
  // true matches what it does.
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
});
rmSync(imageDir, { recursive: true, force: true });
const loaded = grpc.loadPackageDefinition(packageDefinition) as unknown as {
  user: { v1: { UserService: ClientConstructor<UserServiceClient> } };
  auth: { v1: { AuthService: ClientConstructor<AuthServiceClient> } };
};

/** Metadata that carries `token` as grpc-js users send it: "authorization: Bearer <token>". */
function withToken(token: string): grpc.Metadata {
  const metadata = new grpc.Metadata();
  metadata.set("authorization", `Bearer ${token}`);
  return metadata;
}

/** Metadata with this authorization value as is (for malformed headers). */
function withAuthorization(value: string): grpc.Metadata {
  const metadata = new grpc.Metadata();
  metadata.set("authorization", value);
  return metadata;
}

/** Calls a unary method and settles with its result or its grpc.ServiceError. */
function unary<Req, Res>(
  method: UnaryMethod<Req, Res>,
  req: Req,
  metadata: grpc.Metadata = new grpc.Metadata(),
  options: grpc.CallOptions = {},
): Promise<Res> {
  return new Promise((resolve, reject) => {
    method(req, metadata, options, (err, value) => (err ? reject(err) : resolve(value!)));
  });
}

/**
 * An assert.rejects matcher for a grpc-js error with this code and details
 * matching `details`. The details are checked as grpc-js hands them over:
 * the server percent-encodes grpc-message only as the gRPC spec requires, so
 * grpc-js's decoding gives back the server's text exactly.
 */
function grpcError(code: grpc.status, details: RegExp) {
  return (err: unknown): boolean => {
    const e = err as grpc.ServiceError;
    assert.equal(e.code, code, `expected ${grpc.status[code]}, got ${grpc.status[e.code]}: ${e.details}`);
    assert.match(e.details, details);
    return true;
  };
}

/** Asserts a final status's code and details, as grpcError does for errors. */
function assertStatus(status: grpc.StatusObject, code: grpc.status, details: RegExp): void {
  assert.equal(status.code, code, `expected ${grpc.status[code]}, got ${grpc.status[status.code]}: ${status.details}`);
  assert.match(status.details, details);
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
  let auth: AuthServiceClient;
  let adminToken: string;
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

  /** Fresh metadata with an admin's token: most tests act as an admin. */
  function admin(): grpc.Metadata {
    return withToken(adminToken);
  }

  /** A token for a signed-in user with just the role "user". */
  function userToken(userId: string): Promise<string> {
    return server.tokenFor({ userId, roles: ["user"] });
  }

  before(async () => {
    const store = createMemoryStore();
    await store.createMany(seeded);
    server = await startServer({ store });
    client = newClient();
    auth = new loaded.auth.v1.AuthService(`127.0.0.1:${server.port}`, grpc.credentials.createInsecure());
    clients.push(auth);
    adminToken = await server.adminToken();
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

  describe("the loaded contract", () => {
    it("names fields as in the .proto (snake_case), as the interfaces here do", () => {
      const definitionOf = (typeName: string) => packageDefinition[typeName] as protoLoader.MessageTypeDefinition<object, object>;
      const fieldsOf = (typeName: string) =>
        (definitionOf(typeName).type as { field: { name: string }[] }).field.map((f) => f.name);
      assert.deepEqual(fieldsOf("user.v1.ListUsersRequest"), ["page_size", "page_token"]);
      assert.deepEqual(fieldsOf("user.v1.User"), ["id", "username", "email", "created_at", "roles"]);
      assert.deepEqual(fieldsOf("user.v1.ChatMessage"), ["user_id", "text", "timestamp"]);
      assert.deepEqual(fieldsOf("auth.v1.LoginResponse"), ["access_token", "expires_at"]);
      // A camelCase key is not an error: it is silently left off the wire.
      const listUsersRequest = definitionOf("user.v1.ListUsersRequest");
      assert.equal(listUsersRequest.serialize({ pageSize: 5, pageToken: "t" }).length, 0);
      assert.deepEqual(listUsersRequest.deserialize(listUsersRequest.serialize({ page_size: 5, page_token: "t" })), {
        page_size: 5,
        page_token: "t",
      });
    });
  });

  describe("unary", () => {
    it("CreateUser (no token: sign-up) returns the new user; GetUser finds it", async () => {
      const req = newUserRequest();
      const created = await unary(client.createUser.bind(client), req);
      assert.match(created.id, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      assert.equal(created.username, req.username);
      assert.equal(created.email, req.email);
      assert.deepEqual(created.roles, ["user"]);
      // int64 arrives as a decimal string with longs: String.
      assert.equal(typeof created.created_at, "string");
      assert.ok(Math.abs(Number(created.created_at) - Date.now() / 1000) < 60, `created_at ${created.created_at}`);
      assert.equal(Object.hasOwn(created, "password"), false);

      assert.deepEqual(await unary(client.getUser.bind(client), { id: created.id }, admin()), created);
    });

    it("CreateUser with a bad field is INVALID_ARGUMENT naming the field", async () => {
      await assert.rejects(
        unary(client.createUser.bind(client), { ...newUserRequest(), email: "not an email" }),
        grpcError(grpc.status.INVALID_ARGUMENT, /^email: must be an email address such as ada@example\.com$/),
      );
      await assert.rejects(
        unary(client.createUser.bind(client), { ...newUserRequest(), password: "short" }),
        grpcError(grpc.status.INVALID_ARGUMENT, /^password: must be at least 8 characters$/),
      );
      // Every broken rule is named, not only the first.
      await assert.rejects(
        unary(client.createUser.bind(client), { username: "x", email: "not an email", password: "password 1" }),
        grpcError(grpc.status.INVALID_ARGUMENT, /^username: must be 3 to 32 .*; email: must be an email address/),
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
        unary(client.getUser.bind(client), { id: unknown }, admin()),
        grpcError(grpc.status.NOT_FOUND, new RegExp(`^no user has id ${unknown}$`)),
      );
      await assert.rejects(
        unary(client.getUser.bind(client), { id: "42" }, admin()),
        grpcError(grpc.status.INVALID_ARGUMENT, /^id: must be a valid UUID$/),
      );
      await assert.rejects(
        unary(client.getUser.bind(client), { id: "" }, admin()),
        grpcError(grpc.status.INVALID_ARGUMENT, /^id: value is required$/),
      );
    });

    it("UpdateUser changes only the fields that are set (proto3 optional presence)", async () => {
      const user = await unary(client.createUser.bind(client), newUserRequest());
      const email = `changed.${seq}@example.com`;
      const updated = await unary(client.updateUser.bind(client), { id: user.id, email }, admin());
      assert.deepEqual(updated, { ...user, email });
      // A set but empty username is a value to check, not an absent field.
      await assert.rejects(
        unary(client.updateUser.bind(client), { id: user.id, username: "" }, admin()),
        grpcError(grpc.status.INVALID_ARGUMENT, /^username: must be 3 to 32 characters/),
      );
      await assert.rejects(
        unary(client.updateUser.bind(client), { id: randomUUID(), email }, admin()),
        grpcError(grpc.status.NOT_FOUND, /^no user has id /),
      );
      const other = await unary(client.createUser.bind(client), newUserRequest());
      await assert.rejects(
        unary(client.updateUser.bind(client), { id: other.id, email: email.toUpperCase() }, admin()),
        grpcError(grpc.status.ALREADY_EXISTS, /^email ".*" is already taken$/),
      );
    });

    it("DeleteUser removes the user; deleting it again is NOT_FOUND", async () => {
      const user = await unary(client.createUser.bind(client), newUserRequest());
      assert.deepEqual(await unary(client.deleteUser.bind(client), { id: user.id }, admin()), { success: true });
      await assert.rejects(
        unary(client.getUser.bind(client), { id: user.id }, admin()),
        grpcError(grpc.status.NOT_FOUND, /./),
      );
      await assert.rejects(
        unary(client.deleteUser.bind(client), { id: user.id }, admin()),
        grpcError(grpc.status.NOT_FOUND, new RegExp(`^no user has id ${user.id}$`)),
      );
    });

    it("a call whose deadline is already all but spent is DEADLINE_EXCEEDED", async () => {
      await assert.rejects(
        unary(client.createUser.bind(client), newUserRequest(), new grpc.Metadata(), { deadline: Date.now() + 1 }),
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
          admin(),
          (err, value) => (err ? reject(err) : resolve(value!)),
        );
      });
      await assert.rejects(call, grpcError(grpc.status.UNIMPLEMENTED, /Nope/));
    });
  });

  describe("authentication", () => {
    const MISSING = /^missing access token: send 'authorization: Bearer <token>'/;

    it("every method but CreateUser and Login is UNAUTHENTICATED without a token", async () => {
      const someone = seeded[0]!.id;
      await assert.rejects(
        unary(client.getUser.bind(client), { id: someone }),
        grpcError(grpc.status.UNAUTHENTICATED, MISSING),
      );
      // Authentication comes before validation: a caller without a token
      // learns nothing about the request.
      await assert.rejects(
        unary(client.getUser.bind(client), { id: "42" }),
        grpcError(grpc.status.UNAUTHENTICATED, MISSING),
      );
      await assert.rejects(
        unary(client.updateUser.bind(client), { id: someone, username: "taken_over" }),
        grpcError(grpc.status.UNAUTHENTICATED, MISSING),
      );
      await assert.rejects(
        unary(client.deleteUser.bind(client), { id: someone }),
        grpcError(grpc.status.UNAUTHENTICATED, MISSING),
      );
      assert.equal((await server.store.get(someone))?.username, seeded[0]!.username, "the user is untouched");

      const list = await readAll(client.listUsers({ page_size: 5 }));
      assertStatus(list.status, grpc.status.UNAUTHENTICATED, MISSING);
      assert.deepEqual(list.messages, []);

      const entry = newUserRequest("unauth");
      const imported = new Promise<CreateUsersResponse>((resolve, reject) => {
        const call = track(client.createUsers(new grpc.Metadata(), (err, value) => (err ? reject(err) : resolve(value!))));
        call.write(entry);
        call.end();
      });
      await assert.rejects(imported, grpcError(grpc.status.UNAUTHENTICATED, MISSING));
      assert.equal(await server.store.findByUsername(entry.username), undefined);

      const chat = track(newClient().chat());
      const chatStatus = statusOf(chat);
      chat.write({ user_id: "", text: "let me in" });
      assertStatus(await chatStatus, grpc.status.UNAUTHENTICATED, MISSING);
    });

    it("a garbage, forged or non-Bearer token is UNAUTHENTICATED", async () => {
      const someone = seeded[0]!.id;
      await assert.rejects(
        unary(client.getUser.bind(client), { id: someone }, withToken("garbage")),
        grpcError(grpc.status.UNAUTHENTICATED, /^token is malformed/),
      );
      // A real user's claims under an admin token's signature: well formed,
      // but not signed by the server.
      const [header, claims] = (await userToken(randomUUID())).split(".");
      const signature = adminToken.split(".")[2];
      await assert.rejects(
        unary(client.getUser.bind(client), { id: someone }, withToken(`${header}.${claims}.${signature}`)),
        grpcError(grpc.status.UNAUTHENTICATED, /^token signature is invalid$/),
      );
      await assert.rejects(
        unary(client.getUser.bind(client), { id: someone }, withAuthorization(`Basic ${adminToken}`)),
        grpcError(grpc.status.UNAUTHENTICATED, /^malformed authorization header/),
      );

      const list = await readAll(client.listUsers({ page_size: 5 }, withToken("garbage")));
      assertStatus(list.status, grpc.status.UNAUTHENTICATED, /^token is malformed/);
      assert.deepEqual(list.messages, []);
      const chat = track(newClient().chat(withToken("garbage")));
      const chatStatus = statusOf(chat);
      chat.write({ user_id: "", text: "let me in" });
      assertStatus(await chatStatus, grpc.status.UNAUTHENTICATED, /^token is malformed/);
    });

    it("signs up with CreateUser, logs in with auth.v1.AuthService/Login and uses the access_token", async () => {
      const req = newUserRequest("login");
      const created = await unary(client.createUser.bind(client), req);

      const login = await unary(auth.login.bind(auth), { username: req.username, password: req.password });
      assert.match(login.access_token, /^[\w-]+\.[\w-]+\.[\w-]+$/, "a JWT");
      assert.equal(typeof login.expires_at, "string");
      assert.ok(Number(login.expires_at) > Date.now() / 1000, `expires_at ${login.expires_at}`);

      // The user's own account, email included.
      assert.deepEqual(await unary(client.getUser.bind(client), { id: created.id }, withToken(login.access_token)), created);

      await assert.rejects(
        unary(auth.login.bind(auth), { username: req.username, password: "wrong password" }),
        grpcError(grpc.status.UNAUTHENTICATED, /^invalid username or password$/),
      );
      await assert.rejects(
        unary(auth.login.bind(auth), { username: `${req.username}_nobody`, password: req.password }),
        grpcError(grpc.status.UNAUTHENTICATED, /^invalid username or password$/),
      );
      await assert.rejects(
        unary(auth.login.bind(auth), { username: "", password: req.password }),
        grpcError(grpc.status.INVALID_ARGUMENT, /^username: value is required$/),
      );
    });
  });

  describe("access rules", () => {
    it("a signed-in user sees the email of only their own account; an admin sees every email", async () => {
      const me = await unary(client.createUser.bind(client), newUserRequest("reader"));
      const other = await unary(client.createUser.bind(client), newUserRequest("reader"));
      const myToken = await userToken(me.id);
      const mine = () => withToken(myToken);
      assert.deepEqual(await unary(client.getUser.bind(client), { id: me.id }, mine()), me);
      assert.deepEqual(await unary(client.getUser.bind(client), { id: other.id }, mine()), {
        ...other,
        email: "",
      });
      assert.deepEqual(await unary(client.getUser.bind(client), { id: other.id }, admin()), other);

      const { messages, status } = await readAll(client.listUsers({ page_size: 0 }, mine()));
      assert.equal(status.code, grpc.status.OK, status.details);
      assert.ok(messages.length > SEEDED);
      assert.deepEqual(
        messages.filter((u) => u.email !== "").map((u) => u.id),
        [me.id],
        "only the caller's own email is listed",
      );
      const asAdmin = await readAll(client.listUsers({ page_size: 0 }, admin()));
      assert.deepEqual(
        asAdmin.messages.slice(0, SEEDED).map((u) => u.email),
        seeded.map((u) => u.email),
      );
      assert.deepEqual(
        messages.map((u) => u.id),
        asAdmin.messages.map((u) => u.id),
      );
    });

    it("only the owner or an admin may change or delete an account; only an admin may change roles", async () => {
      const me = await unary(client.createUser.bind(client), newUserRequest("owner"));
      const other = await unary(client.createUser.bind(client), newUserRequest("owner"));
      const myToken = await userToken(me.id);
      const mine = () => withToken(myToken);
      await assert.rejects(
        unary(client.updateUser.bind(client), { id: other.id, username: `${other.username}_x` }, mine()),
        grpcError(grpc.status.PERMISSION_DENIED, /^only the account's owner or an admin may update it$/),
      );
      await assert.rejects(
        unary(client.deleteUser.bind(client), { id: other.id }, mine()),
        grpcError(grpc.status.PERMISSION_DENIED, /^only the account's owner or an admin may delete it$/),
      );
      await assert.rejects(
        unary(client.updateUser.bind(client), { id: me.id, roles: ["user", "admin"] }, mine()),
        grpcError(grpc.status.PERMISSION_DENIED, /^only an admin may change roles$/),
      );
      const email = `owner.changed.${seq}@example.com`;
      assert.deepEqual(await unary(client.updateUser.bind(client), { id: me.id, email }, mine()), { ...me, email });
      assert.deepEqual(
        await unary(client.updateUser.bind(client), { id: other.id, roles: ["user", "admin"] }, admin()),
        { ...other, roles: ["user", "admin"] },
      );
      assert.deepEqual(await unary(client.deleteUser.bind(client), { id: me.id }, mine()), { success: true });
    });
  });

  describe("error details", () => {
    it("error details arrive unescaped, as grpc-js decodes grpc-message", async () => {
      // ":" and "," are printable ASCII: the gRPC spec lets them travel as is,
      // and grpc-js (decodeURI) does not turn %3A or %2C back into them.
      await assert.rejects(
        unary(client.createUser.bind(client), { ...newUserRequest(), username: "x" }),
        (err: grpc.ServiceError) => {
          assert.equal(err.details, 'username: must be 3 to 32 characters of letters, digits, "_", "." or "-"');
          return true;
        },
      );
    });

    it("a client's own text with '%' and URI-reserved characters comes back exactly", async () => {
      // "%41" must travel as "%2541" (else grpc-js shows "A"); "/", "?", "#",
      // "&", "=", "+" and "$" must travel as is (grpc-js leaves %2F etc. alone).
      seq++;
      const email = `50%41off+a/b=c?d#e&f$${seq}@example.com`;
      await unary(client.createUser.bind(client), { ...newUserRequest("pct"), email });
      await assert.rejects(
        unary(client.createUser.bind(client), { ...newUserRequest("pct"), email }),
        (err: grpc.ServiceError) => {
          assert.equal(err.code, grpc.status.ALREADY_EXISTS, err.details);
          assert.equal(err.details, `email "${email}" is already taken`);
          return true;
        },
      );
    });
  });

  describe("server streaming: ListUsers", () => {
    it("page_size 0 streams every user in order, with no next-page-token", async () => {
      const { messages, status } = await readAll(client.listUsers({ page_size: 0 }, admin()));
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
        const { messages, status } = await readAll(client.listUsers({ page_size: pageSize, page_token: pageToken }, admin()));
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
      const everyone = (await readAll(client.listUsers({ page_size: 0 }, admin()))).messages;
      assert.ok(everyone.length > pageSize * 3, `${everyone.length} users make several pages`);
      assert.deepEqual(seen, everyone);
      assert.equal(pages, Math.ceil(everyone.length / pageSize));
      assert.equal(seen[0]!.created_at, String(seeded[0]!.createdAt));
    });

    it("page_size 1000 (the cap) is a full page; above it is INVALID_ARGUMENT", async () => {
      const full = await readAll(client.listUsers({ page_size: 1_000 }, admin()));
      assert.equal(full.status.code, grpc.status.OK, full.status.details);
      assert.equal(full.messages.length, 1_000);
      assert.ok(nextPageToken(full.status), "a next-page-token trailer");

      for (const pageSize of [1_001, 5_000]) {
        const { messages, status } = await readAll(client.listUsers({ page_size: pageSize }, admin()));
        assertStatus(status, grpc.status.INVALID_ARGUMENT, /^page_size: must be greater than or equal to 0 and less than or equal to 1000$/);
        assert.deepEqual(messages, []);
      }
    });

    it("a negative page_size, an over-long or a forged page_token is INVALID_ARGUMENT", async () => {
      const negative = await readAll(client.listUsers({ page_size: -1 }, admin()));
      assertStatus(negative.status, grpc.status.INVALID_ARGUMENT, /^page_size: must be greater than or equal to 0 and less than or equal to 1000$/);
      const long = await readAll(client.listUsers({ page_size: 10, page_token: "a".repeat(513) }, admin()));
      assertStatus(long.status, grpc.status.INVALID_ARGUMENT, /^page_token: must be at most 512 characters$/);
      const forged = await readAll(client.listUsers({ page_size: 10, page_token: "bm9wZQ" }, admin()));
      assertStatus(forged.status, grpc.status.INVALID_ARGUMENT, /^page_token is invalid/);
    });
  });

  describe("client streaming: CreateUsers", () => {
    function importUsers(entries: CreateUserRequest[]): Promise<CreateUsersResponse> {
      return new Promise((resolve, reject) => {
        const call = track(client.createUsers(admin(), (err, value) => (err ? reject(err) : resolve(value!))));
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
        assert.deepEqual(await unary(client.getUser.bind(client), { id: user.id }, admin()), user);
      }
    });

    it("an invalid entry fails the whole import with INVALID_ARGUMENT naming its index", async () => {
      const entries = [newUserRequest("import"), newUserRequest("import"), { ...newUserRequest("import"), username: "x" }];
      await assert.rejects(
        importUsers(entries),
        grpcError(grpc.status.INVALID_ARGUMENT, /^entry 2: username: must be 3 to 32 characters/),
      );
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
    it("two grpc-js calls see each other's messages, with the senders' ids from their tokens and server timestamps", async () => {
      const next = async (reader: AsyncIterator<ChatMessage>) => (await reader.next()).value as ChatMessage;
      const started = Date.now();
      const aliceId = randomUUID();
      const bobId = randomUUID();

      // A member joins when its call reaches the server; the echo of its own
      // first message proves that. Bob calls only once Alice is in, so each
      // sees exactly what is said after its own first message.
      const alice = track(newClient().chat(withToken(await userToken(aliceId))));
      const aliceReads = alice[Symbol.asyncIterator]();
      // The user_id a client writes is ignored: the token says who speaks.
      alice.write({ user_id: bobId, text: "alice joined" });
      assert.deepEqual(
        [await next(aliceReads)].map((m) => [m.user_id, m.text]),
        [[aliceId, "alice joined"]],
      );
      const bob = track(newClient().chat(withToken(await userToken(bobId))));
      const bobReads = bob[Symbol.asyncIterator]();
      bob.write({ user_id: "", text: "bob joined" });
      assert.deepEqual(
        [await next(bobReads)].map((m) => [m.user_id, m.text]),
        [[bobId, "bob joined"]],
      );
      assert.deepEqual(
        [await next(aliceReads)].map((m) => [m.user_id, m.text]),
        [[bobId, "bob joined"]],
      );

      alice.write({ user_id: "alice", text: "hi bob", timestamp: "1" });
      bob.write({ user_id: aliceId, text: "hi alice" });
      const aliceSaw = [await next(aliceReads), await next(aliceReads)];
      const bobSaw = [await next(bobReads), await next(bobReads)];
      assert.deepEqual(aliceSaw, bobSaw, "both see the same messages in the same order");
      assert.deepEqual(
        aliceSaw.map((m) => [m.user_id, m.text]).sort(),
        [
          [aliceId, "hi bob"],
          [bobId, "hi alice"],
        ].sort(),
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
      assert.equal(await next(aliceReads), undefined);
      assert.equal(await next(bobReads), undefined);
      assert.equal((await aliceStatus).code, grpc.status.OK);
      assert.equal((await bobStatus).code, grpc.status.OK);
    });

    it("an empty message ends the sender's stream with INVALID_ARGUMENT naming the message", async () => {
      const call = track(newClient().chat(withToken(await userToken(randomUUID()))));
      call.write({ user_id: "", text: "   " });
      const reader = call[Symbol.asyncIterator]();
      await assert.rejects(
        reader.next(),
        grpcError(grpc.status.INVALID_ARGUMENT, /^message 0: text: must not be empty or only whitespace$/),
      );
    });
  });
});
