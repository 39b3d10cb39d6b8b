/**
 * UserService end to end: every RPC, its success and error paths, over each
 * protocol a client can speak to the one port. One table of transports; every
 * behaviour is written once and checked on every row.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, beforeEach, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { create, createFileRegistry, type MessageInitShape } from "@bufbuild/protobuf";
import type { GenService } from "@bufbuild/protobuf/codegenv2";
import { EmptySchema, FileDescriptorProtoSchema, file_google_protobuf_empty } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient, type Client, type Interceptor, type Transport } from "@connectrpc/connect";
import { createWritableIterable } from "@connectrpc/connect/protocol";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import {
  UserService,
  type ChatMessage,
  type ChatMessageSchema,
  type CreateUserRequestSchema,
  type ListUsersRequestSchema,
  type User,
} from "../../gen/user/v1/user_pb.js";
import type { StoredUser, UserStore } from "../../server/storage/store.js";
import { bearer, startServer, type TestServer } from "../support/start-server.js";

/** Unary calls that outlive this fail rather than hang. */
const UNARY_TIMEOUT_MS = 5_000;
/** Every streaming call carries this deadline, so a server bug fails the test instead of hanging it. */
const STREAM_TIMEOUT_MS = 5_000;
/** The response trailer that carries the ListUsers cursor (see user.proto). */
const NEXT_PAGE_TOKEN = "next-page-token";
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

type CreateUserInit = MessageInitShape<typeof CreateUserRequestSchema>;

interface TransportRow {
  readonly name: string;
  /** Full-duplex streams (Chat) need HTTP/2; over HTTP/1.1 they must be refused. */
  readonly fullDuplex: boolean;
  /** `interceptors` typically carry the bearer token (see `bearer`). */
  readonly transport: (interceptors?: Interceptor[]) => Transport;
}

let server: TestServer;
/** Every RPC but CreateUser needs a token; an admin's sees every user's email. */
let adminToken: string;

const transports: readonly TransportRow[] = [
  {
    name: "gRPC over HTTP/2",
    fullDuplex: true,
    transport: (interceptors = []) =>
      createGrpcTransport({ baseUrl: server.baseUrl, defaultTimeoutMs: UNARY_TIMEOUT_MS, interceptors }),
  },
  {
    name: "gRPC-Web over HTTP/1.1",
    fullDuplex: false,
    transport: (interceptors = []) =>
      createGrpcWebTransport({
        baseUrl: server.baseUrl,
        httpVersion: "1.1",
        defaultTimeoutMs: UNARY_TIMEOUT_MS,
        interceptors,
      }),
  },
  {
    name: "Connect JSON over HTTP/1.1",
    fullDuplex: false,
    transport: (interceptors = []) =>
      createConnectTransport({
        baseUrl: server.baseUrl,
        httpVersion: "1.1",
        useBinaryFormat: false,
        defaultTimeoutMs: UNARY_TIMEOUT_MS,
        interceptors,
      }),
  },
  {
    name: "Connect binary over HTTP/2",
    fullDuplex: true,
    transport: (interceptors = []) =>
      createConnectTransport({
        baseUrl: server.baseUrl,
        httpVersion: "2",
        useBinaryFormat: true,
        defaultTimeoutMs: UNARY_TIMEOUT_MS,
        interceptors,
      }),
  },
];

before(async () => {
  server = await startServer();
  adminToken = await server.adminToken();
});

after(async () => {
  await server.close();
});

for (const row of transports) {
  describe(`UserService over ${row.name}`, { timeout: 30_000 }, () => {
    let client: Client<typeof UserService>;

    before(() => {
      client = createClient(UserService, row.transport([bearer(adminToken)]));
    });

    beforeEach(() => emptyStore(server.store));

    describe("CreateUser", () => {
      it("creates a user with a UUID, the role user, the current time and trimmed fields", async () => {
        const password = "correct horse battery staple";
        const user = await client.createUser({ username: "  ada_l  ", email: " ada@example.com ", password });

        assert.match(user.id, UUID);
        assert.equal(user.username, "ada_l");
        assert.equal(user.email, "ada@example.com");
        assert.deepEqual(user.roles, ["user"]);
        assertAboutNow(Number(user.createdAt), 2);
        assert.deepEqual(await client.getUser({ id: user.id }), user);
      });

      it("never sends the password back", async () => {
        const password = "s3cret-passw0rd";
        const user = await client.createUser({ username: "grace", email: "grace@example.com", password });

        assert.equal(user.$unknown, undefined, "the response carries fields the contract does not declare");
        assert.doesNotMatch(JSON.stringify(user, (_, v: unknown) => (typeof v === "bigint" ? String(v) : v)), /s3cret/);
      });

      const valid: CreateUserInit = { username: "ada", email: "ada@example.com", password: "password1" };
      const invalidRequests: readonly { name: string; request: CreateUserInit; message: RegExp }[] = [
        { name: "a too short username", request: { ...valid, username: "ab" }, message: /^username: must be 3 to 32/ },
        { name: "a username with bad characters", request: { ...valid, username: "ada l!" }, message: /^username: must be 3 to 32/ },
        { name: "a bad email", request: { ...valid, email: "ada@" }, message: /^email: must be an email address/ },
        { name: "a short password", request: { ...valid, password: "short" }, message: /^password: must be at least 8 characters$/ },
        { name: "a huge password", request: { ...valid, password: "x".repeat(1025) }, message: /^password: must be at most 1024 characters$/ },
      ];
      for (const { name, request, message } of invalidRequests) {
        it(`rejects ${name} with INVALID_ARGUMENT and stores nothing`, async () => {
          await assertConnectError(client.createUser(request), Code.InvalidArgument, message);
          assert.equal(await countStored(server.store), 0);
        });
      }

      const clashes: readonly { name: string; second: CreateUserInit; message: RegExp }[] = [
        {
          name: "username",
          second: { ...valid, username: "ADA", email: "other@example.com" },
          message: /^username "ADA" is already taken/,
        },
        {
          name: "email",
          second: { ...valid, username: "other", email: "Ada@Example.COM" },
          message: /^email "Ada@Example.COM" is already taken/,
        },
      ];
      for (const { name, second, message } of clashes) {
        it(`rejects a taken ${name} differing only in case with ALREADY_EXISTS`, async () => {
          await client.createUser(valid);

          await assertConnectError(client.createUser(second), Code.AlreadyExists, message);
          assert.equal(await countStored(server.store), 1);
        });
      }
    });

    describe("GetUser", () => {
      it("returns the stored user", async () => {
        const [stored] = await insertUsers(server.store, 1);

        assert.deepEqual(toPlainUser(await client.getUser({ id: stored!.id })), toPlainUser(stored!));
      });

      it("accepts the id in upper case", async () => {
        const [stored] = await insertUsers(server.store, 1);

        assert.equal((await client.getUser({ id: stored!.id.toUpperCase() })).id, stored!.id);
      });

      it("rejects an empty id with INVALID_ARGUMENT", async () => {
        await assertConnectError(client.getUser({}), Code.InvalidArgument, /^id: value is required$/);
      });

      it("rejects a malformed id with INVALID_ARGUMENT", async () => {
        await assertConnectError(client.getUser({ id: "42" }), Code.InvalidArgument, /^id: must be a valid UUID$/);
      });

      it("answers NOT_FOUND for an unknown id", async () => {
        const id = randomUUID();
        await assertConnectError(client.getUser({ id }), Code.NotFound, new RegExp(`^no user has id ${id}`));
      });
    });

    describe("UpdateUser", () => {
      it("changes only the username when only the username is set", async () => {
        const [stored] = await insertUsers(server.store, 1);

        const updated = await client.updateUser({ id: stored!.id, username: "  renamed  " });

        assert.deepEqual(toPlainUser(updated), { ...toPlainUser(stored!), username: "renamed" });
        assert.deepEqual(await client.getUser({ id: stored!.id }), updated);
      });

      it("changes only the email when only the email is set", async () => {
        const [stored] = await insertUsers(server.store, 1);

        const updated = await client.updateUser({ id: stored!.id, email: "new@example.com" });

        assert.deepEqual(toPlainUser(updated), { ...toPlainUser(stored!), email: "new@example.com" });
        assert.deepEqual(await client.getUser({ id: stored!.id }), updated);
      });

      it("lets a user change the case of its own username", async () => {
        const [stored] = await insertUsers(server.store, 1);

        const updated = await client.updateUser({ id: stored!.id, username: stored!.username.toUpperCase() });

        assert.equal(updated.username, stored!.username.toUpperCase());
      });

      it("rejects another user's username, in any case, with ALREADY_EXISTS and changes nothing", async () => {
        const [first, second] = await insertUsers(server.store, 2);
        const taken = first!.username.toUpperCase();

        await assertConnectError(
          client.updateUser({ id: second!.id, username: taken }),
          Code.AlreadyExists,
          new RegExp(`^username "${taken}" is already taken`),
        );
        assert.equal((await client.getUser({ id: second!.id })).username, second!.username);
      });

      it("rejects another user's email with ALREADY_EXISTS", async () => {
        const [first, second] = await insertUsers(server.store, 2);

        await assertConnectError(
          client.updateUser({ id: second!.id, email: first!.email }),
          Code.AlreadyExists,
          /^email ".*" is already taken/,
        );
      });

      const invalidUpdates: readonly { name: string; patch: { username?: string; email?: string }; message: RegExp }[] = [
        { name: "a bad username", patch: { username: "a" }, message: /^username: must be 3 to 32 characters/ },
        { name: "an empty username", patch: { username: "" }, message: /^username: must be 3 to 32 characters/ },
        { name: "a bad email", patch: { email: "not-an-email" }, message: /^email: must be an email address/ },
      ];
      for (const { name, patch, message } of invalidUpdates) {
        it(`rejects ${name} with INVALID_ARGUMENT and changes nothing`, async () => {
          const [stored] = await insertUsers(server.store, 1);

          await assertConnectError(client.updateUser({ id: stored!.id, ...patch }), Code.InvalidArgument, message);
          assert.deepEqual(toPlainUser(await client.getUser({ id: stored!.id })), toPlainUser(stored!));
        });
      }

      it("rejects a malformed id with INVALID_ARGUMENT", async () => {
        await assertConnectError(
          client.updateUser({ id: "nope", username: "valid" }),
          Code.InvalidArgument,
          /^id: must be a valid UUID$/,
        );
      });

      it("answers NOT_FOUND for an unknown id", async () => {
        await assertConnectError(client.updateUser({ id: randomUUID(), username: "valid" }), Code.NotFound, /^no user has id /);
      });
    });

    describe("DeleteUser", () => {
      it("deletes the user, after which GetUser answers NOT_FOUND", async () => {
        const [doomed, kept] = await insertUsers(server.store, 2);

        assert.equal((await client.deleteUser({ id: doomed!.id })).success, true);

        await assertConnectError(client.getUser({ id: doomed!.id }), Code.NotFound, /^no user has id /);
        assert.equal((await client.getUser({ id: kept!.id })).id, kept!.id);
      });

      it("answers NOT_FOUND for an unknown id", async () => {
        await assertConnectError(client.deleteUser({ id: randomUUID() }), Code.NotFound, /^no user has id /);
      });

      it("rejects an empty id with INVALID_ARGUMENT", async () => {
        await assertConnectError(client.deleteUser({}), Code.InvalidArgument, /^id: value is required$/);
      });
    });

    describe("ListUsers", () => {
      const listPage = (request: MessageInitShape<typeof ListUsersRequestSchema>) => readPage(client, request);

      it("streams users ordered by creation time, then id", async () => {
        const sameSecond = storedUsers(4, 1_700_000_100).map((u) => ({ ...u, createdAt: 1_700_000_100 }));
        const users = [...storedUsers(3, 1_700_000_200), ...sameSecond, ...storedUsers(2, 1_700_000_000)];
        await server.store.createMany(shuffled(users));

        const page = await listPage({});

        assert.deepEqual(page.ids, listingOrder(users));
        assert.equal(page.nextPageToken, null);
      });

      it("caps each page at page_size and walks every user by next-page-token, with no gaps or repeats", async () => {
        const users = await insertUsers(server.store, 10);

        const pages = await readAllPages(client, 3);

        assert.deepEqual(pages.map((p) => p.ids.length), [3, 3, 3, 1]);
        assert.deepEqual(pages.flatMap((p) => p.ids), listingOrder(users));
        assert.ok(pages.slice(0, -1).every((p) => p.nextPageToken !== null));
      });

      it("sends no next-page-token when a page ends exactly at the last user", async () => {
        const users = await insertUsers(server.store, 6);

        const pages = await readAllPages(client, 3);

        assert.deepEqual(pages.map((p) => p.ids.length), [3, 3]);
        assert.deepEqual(pages.flatMap((p) => p.ids), listingOrder(users));
        assert.equal(pages.at(-1)!.nextPageToken, null);
      });

      it("streams every user when page_size is 0, across storage batches", async () => {
        const users = await insertUsers(server.store, 1_201);

        const page = await listPage({ pageSize: 0 });

        assert.deepEqual(page.ids, listingOrder(users));
        assert.equal(page.nextPageToken, null);
      });

      it("sends pages of the largest page_size, 1000, across storage batches", async () => {
        const users = await insertUsers(server.store, 1_001);

        const first = await listPage({ pageSize: 1_000 });
        assert.equal(first.ids.length, 1_000);
        assert.notEqual(first.nextPageToken, null);
        const second = await listPage({ pageSize: 1_000, pageToken: first.nextPageToken! });

        assert.deepEqual([...first.ids, ...second.ids], listingOrder(users));
        assert.equal(second.nextPageToken, null);
      });

      it("rejects a page_size above 1000 with INVALID_ARGUMENT", async () => {
        await insertUsers(server.store, 2);

        await assertConnectError(
          listPage({ pageSize: 1_001 }),
          Code.InvalidArgument,
          /^page_size: must be greater than or equal to 0 and less than or equal to 1000$/,
        );
      });

      it("ends with OK and no messages for an empty store", async () => {
        const page = await listPage({ pageSize: 10 });

        assert.deepEqual(page.ids, []);
        assert.equal(page.nextPageToken, null);
      });

      it("shows users inserted while paging on later pages", async () => {
        const early = await insertUsers(server.store, 4, 1_700_000_000);

        const first = await listPage({ pageSize: 2 });
        const late = await insertUsers(server.store, 3, 1_700_100_000);
        const rest = await readAllPages(client, 2, first.nextPageToken!);

        assert.deepEqual([...first.ids, ...rest.flatMap((p) => p.ids)], listingOrder([...early, ...late]));
      });

      const badTokens: readonly { name: string; token: string }[] = [
        { name: "garbage", token: "not a token" },
        { name: "a token with a malformed id", token: Buffer.from("v1:1700000000:not-a-uuid").toString("base64url") },
        { name: "a token of an unknown version", token: Buffer.from(`v9:1700000000:${randomUUID()}`).toString("base64url") },
      ];
      for (const { name, token } of badTokens) {
        it(`rejects ${name} as page_token with INVALID_ARGUMENT`, async () => {
          await insertUsers(server.store, 2);

          await assertConnectError(listPage({ pageToken: token }), Code.InvalidArgument, /^page_token is invalid/);
        });
      }

      it("rejects a negative page_size with INVALID_ARGUMENT", async () => {
        await assertConnectError(
          listPage({ pageSize: -1 }),
          Code.InvalidArgument,
          /^page_size: must be greater than or equal to 0 and less than or equal to 1000$/,
        );
      });

      it("ends a stream over a large store whose reader stalls past the deadline with DEADLINE_EXCEEDED", async () => {
        await insertUsers(server.store, 5_000);
        const started = Date.now();
        let received = 0;

        await assertConnectError(
          (async () => {
            for await (const _ of client.listUsers({}, { timeoutMs: 200 })) {
              // Stall once, well past the deadline, then read on: what flow
              // control let through may still arrive, but never all 5,000.
              if (received++ === 0) {
                await sleep(400);
              }
            }
          })(),
          Code.DeadlineExceeded,
          /./,
        );
        assert.ok(received < 5_000, `read all ${received} users despite the deadline`);
        assert.ok(Date.now() - started < 3_000, "the deadline did not end the call promptly");
      });
    });

    describe("CreateUsers", () => {
      const entry = (name: string): CreateUserInit => ({
        username: name,
        email: `${name}@example.com`,
        password: "password1",
      });
      const createUsers = (entries: readonly CreateUserInit[]) =>
        client.createUsers(fromArray(entries), { timeoutMs: STREAM_TIMEOUT_MS });

      // Over HTTP/1.1 this works half-duplex: the client sends the whole stream, then reads the answer.
      it("creates every user and answers them in order with their count", async () => {
        const response = await createUsers([entry("alan"), { ...entry("barbara"), username: " barbara " }, entry("claude")]);

        assert.equal(response.count, 3);
        assert.deepEqual(response.users.map((u) => u.username), ["alan", "barbara", "claude"]);
        for (const user of response.users) {
          assert.match(user.id, UUID);
          assert.deepEqual(user.roles, ["user"]);
          assert.deepEqual(await client.getUser({ id: user.id }), user);
        }
        assert.equal(await countStored(server.store), 3);
      });

      it("answers count 0 for an empty stream", async () => {
        const response = await createUsers([]);

        assert.equal(response.count, 0);
        assert.deepEqual(response.users, []);
      });

      const invalidEntries: readonly { name: string; bad: CreateUserInit; message: RegExp }[] = [
        { name: "a bad username", bad: { ...entry("valid"), username: "x" }, message: /^entry 2: username: must be 3 to 32/ },
        { name: "a bad email", bad: { ...entry("valid"), email: "valid@" }, message: /^entry 2: email: must be an email address/ },
        { name: "a short password", bad: { ...entry("valid"), password: "123" }, message: /^entry 2: password: must be at least 8/ },
      ];
      for (const { name, bad, message } of invalidEntries) {
        it(`rejects ${name} with INVALID_ARGUMENT naming the entry, and stores nothing`, async () => {
          await assertConnectError(
            createUsers([entry("alan"), entry("barbara"), bad, entry("claude")]),
            Code.InvalidArgument,
            message,
          );

          assert.deepEqual((await readPage(client, {})).ids, []);
        });
      }

      it("rejects a username repeated within the stream with ALREADY_EXISTS naming the entry, and stores nothing", async () => {
        await assertConnectError(
          createUsers([entry("alan"), entry("barbara"), { ...entry("other"), username: "ALAN" }]),
          Code.AlreadyExists,
          /^entry 2: username "ALAN" already appears at entry 0/,
        );

        assert.deepEqual((await readPage(client, {})).ids, []);
      });

      it("rejects a clash with an existing user with ALREADY_EXISTS naming the entry, and stores nothing", async () => {
        const [existing] = await insertUsers(server.store, 1);

        await assertConnectError(
          createUsers([entry("alan"), { ...entry("barbara"), email: existing!.email.toUpperCase() }]),
          Code.AlreadyExists,
          /^entry 1: email ".*" is already taken/,
        );

        assert.deepEqual((await readPage(client, {})).ids, [existing!.id]);
      });
    });

    describe("Chat", () => {
      /** A client signed in as a fresh user of its own, known to the room by its token's user id. */
      const joinAs = async (timeoutMs?: number): Promise<ChatSession> => {
        const userId = randomUUID();
        const token = await server.tokenFor({ userId, roles: ["user"] });
        return joinChat(createClient(UserService, row.transport([bearer(token)])), userId, timeoutMs);
      };

      if (row.fullDuplex) {
        it("delivers every message to every member, the sender included, with a server timestamp", async () => {
          // A member's own first message comes back once it is in the room:
          // that orders the joins without sleeping.
          const ada = await joinAs();
          let bob: ChatSession | undefined;
          try {
            await ada.send("hello from ada");
            assert.equal((await ada.receive()).text, "hello from ada");
            bob = await joinAs();
            await bob.send("hello from bob");
            assert.equal((await bob.receive()).text, "hello from bob");
            assert.equal((await ada.receive()).text, "hello from bob");

            // Bob answers once Ada's question is back with her, so it was
            // broadcast first: two streams' sends would otherwise race.
            await ada.send("how are you?");
            const question = await ada.receive();
            await bob.send("fine");
            const seen = { ada: [question, await ada.receive()], bob: [await bob.receive(), await bob.receive()] };

            for (const messages of Object.values(seen)) {
              assert.deepEqual(
                messages.map((m) => [m.userId, m.text]),
                [[ada.userId, "how are you?"], [bob.userId, "fine"]],
              );
              for (const m of messages) {
                // The client sent timestamp 1; the server's clock wins.
                assertAboutNow(Number(m.timestamp) / 1000, 2);
              }
            }
          } finally {
            ada.leave();
            bob?.leave();
          }
        });

        it("stamps each broadcast with the sender's token user id, ignoring the user_id the client wrote", async () => {
          const ada = await joinAs();
          let bob: ChatSession | undefined;
          try {
            await ada.send("hi");
            await ada.receive();
            bob = await joinAs();
            await bob.send("hi");
            await bob.receive();
            await ada.receive();

            // Bob claims to be ada, then claims no one.
            await bob.send("I am ada", ada.userId);
            await bob.send("I am nobody", "");
            const seen = { ada: [await ada.receive(), await ada.receive()], bob: [await bob.receive(), await bob.receive()] };

            for (const messages of Object.values(seen)) {
              assert.deepEqual(
                messages.map((m) => [m.userId, m.text]),
                [[bob.userId, "I am ada"], [bob.userId, "I am nobody"]],
              );
            }
          } finally {
            ada.leave();
            bob?.leave();
          }
        });

        it("refuses a member without a token with UNAUTHENTICATED", async () => {
          const stranger = joinChat(createClient(UserService, row.transport()), randomUUID());
          try {
            void stranger.send("hello").catch(() => {});

            await assertConnectError(stranger.receive(), Code.Unauthenticated, /missing access token/);
          } finally {
            stranger.leave();
          }
        });

        const badTexts: readonly { name: string; text: string; message: RegExp }[] = [
          // The second message on the stream: the first is "hello".
          { name: "an empty text", text: "", message: /^message 1: text: must not be empty or only whitespace$/ },
          { name: "a blank text", text: "   ", message: /^message 1: text: must not be empty or only whitespace$/ },
          { name: "a text over 1000 characters", text: "x".repeat(1_001), message: /^message 1: text: must be at most 1000 characters$/ },
        ];
        for (const { name, text, message } of badTexts) {
          it(`ends the sender's stream with INVALID_ARGUMENT for ${name}`, async () => {
            const ada = await joinAs();
            try {
              await ada.send("hello");
              await ada.receive();
              await ada.send(text);

              await assertConnectError(ada.receive(), Code.InvalidArgument, message);
            } finally {
              ada.leave();
            }
          });
        }

        it("ends a member's stream with OK when its requests end, and the others keep chatting", async () => {
          const ada = await joinAs();
          let bob: ChatSession | undefined;
          try {
            await ada.send("hi");
            await ada.receive();
            bob = await joinAs();
            await bob.send("hi");
            await bob.receive();
            await ada.receive();

            ada.stopSending();
            assert.equal(await ada.ended(), true);

            await bob.send("anyone there?");
            assert.equal((await bob.receive()).text, "anyone there?");
          } finally {
            ada.leave();
            bob?.leave();
          }
        });
      } else {
        it("fails promptly with UNIMPLEMENTED naming HTTP/2, never hanging", async () => {
          const started = Date.now();
          const ada = await joinAs(3_000);
          try {
            void ada.send("hello").catch(() => {});

            await assertConnectError(ada.receive(), Code.Unimplemented, /HTTP\/2/);
            assert.ok(Date.now() - started < 2_000, `took ${Date.now() - started} ms`);
          } finally {
            ada.leave();
          }
        });
      }
    });

    describe("authentication", () => {
      let anonymous: Client<typeof UserService>;

      before(() => {
        anonymous = createClient(UserService, row.transport());
      });

      it("lets CreateUser through without a token", async () => {
        const user = await anonymous.createUser({ username: "newcomer", email: "newcomer@example.com", password: "password1" });

        assert.match(user.id, UUID);
      });

      it("answers a unary call without a token with UNAUTHENTICATED", async () => {
        const [stored] = await insertUsers(server.store, 1);

        await assertConnectError(anonymous.getUser({ id: stored!.id }), Code.Unauthenticated, /missing access token/);
      });

      it("answers a server-streaming call without a token with UNAUTHENTICATED", async () => {
        await insertUsers(server.store, 1);

        await assertConnectError(readPage(anonymous, {}), Code.Unauthenticated, /missing access token/);
      });

      it("answers a call with a token the server did not sign with UNAUTHENTICATED", async () => {
        const [stored] = await insertUsers(server.store, 1);
        const [header, payload] = adminToken.split(".");
        const forged = createClient(UserService, row.transport([bearer(`${header}.${payload}.${"A".repeat(43)}`)]));

        await assertConnectError(forged.getUser({ id: stored!.id }), Code.Unauthenticated, /signature is invalid/);
      });
    });

    describe("unknown methods", () => {
      it("answers a unary call to a method the service lacks with UNIMPLEMENTED", async () => {
        const ghost = createClient(GhostUserService, row.transport());

        await assertConnectError(ghost.vanish({}), Code.Unimplemented, /\/user\.v1\.UserService\/Vanish\b/);
      });

      it("answers a server-streaming call to a method the service lacks with UNIMPLEMENTED", async () => {
        const ghost = createClient(GhostUserService, row.transport());

        await assertConnectError(
          collect(ghost.vanishAll({}, { timeoutMs: STREAM_TIMEOUT_MS })),
          Code.Unimplemented,
          /\/user\.v1\.UserService\/VanishAll\b|HTTP 404/,
        );
      });

      it("answers a call to a service the server lacks with UNIMPLEMENTED", async () => {
        const ghost = createClient(GhostService, row.transport());

        await assertConnectError(ghost.vanish({}), Code.Unimplemented, /\/user\.v1\.GhostService\/Vanish\b/);
      });
    });

    describe("request headers", () => {
      it("reach the server: a deadline beyond the server's 24 h maximum is INVALID_ARGUMENT", async () => {
        const twentyFiveHoursMs = 25 * 60 * 60 * 1000;

        await assertConnectError(
          client.getUser({ id: randomUUID() }, { timeoutMs: twentyFiveHoursMs }),
          Code.InvalidArgument,
          new RegExp(`timeout ${twentyFiveHoursMs}ms must be <= 86400000`),
        );
      });
    });
  });
}

describe("CreateUsers import cap (gRPC)", { timeout: 30_000 }, () => {
  beforeEach(() => emptyStore(server.store));

  it("rejects the 10,001st entry with RESOURCE_EXHAUSTED and stores nothing", async () => {
    const client = createClient(UserService, transports[0]!.transport([bearer(adminToken)]));
    async function* entries() {
      for (let i = 0; i <= 10_000; i++) {
        yield { username: `import_${i}`, email: `import_${i}@example.com`, password: "password1" };
      }
    }

    await assertConnectError(
      client.createUsers(entries(), { timeoutMs: 20_000 }),
      Code.ResourceExhausted,
      /at most 10000 users per call/,
    );
    assert.equal(await countStored(server.store), 0);
  });
});

// --- Fixtures and helpers --------------------------------------------------

/**
 * A hand-made contract with methods the server does not serve: one more
 * method on user.v1.UserService, and a whole service it does not know.
 */
type GhostMethods = {
  vanish: { methodKind: "unary"; input: typeof EmptySchema; output: typeof EmptySchema };
  vanishAll: { methodKind: "server_streaming"; input: typeof EmptySchema; output: typeof EmptySchema };
};
const ghostRegistry = createFileRegistry(
  create(FileDescriptorProtoSchema, {
    name: "ghost/v1/ghost.proto",
    package: "user.v1",
    syntax: "proto3",
    dependency: ["google/protobuf/empty.proto"],
    service: ["UserService", "GhostService"].map((name) => ({
      name,
      method: [
        { name: "Vanish", inputType: ".google.protobuf.Empty", outputType: ".google.protobuf.Empty" },
        {
          name: "VanishAll",
          inputType: ".google.protobuf.Empty",
          outputType: ".google.protobuf.Empty",
          serverStreaming: true,
        },
      ],
    })),
  }),
  (name) => (name === file_google_protobuf_empty.proto.name ? file_google_protobuf_empty : undefined),
);
const GhostUserService = ghostRegistry.getService("user.v1.UserService") as GenService<GhostMethods>;
const GhostService = ghostRegistry.getService("user.v1.GhostService") as GenService<GhostMethods>;

let fixtureSequence = 0;

/** Users with distinct, increasing creation times from `firstCreatedAt`. */
function storedUsers(count: number, firstCreatedAt = 1_700_000_000): StoredUser[] {
  return Array.from({ length: count }, (_, i) => {
    const n = ++fixtureSequence;
    return {
      id: randomUUID(),
      username: `stored_${n}`,
      email: `stored_${n}@example.com`,
      // Never checked here: these users are only read, never logged in.
      passwordHash: "unused",
      createdAt: firstCreatedAt + i,
      roles: ["user"],
    };
  });
}

/** Inserts straight into storage: CreateUser would hash a password per user. */
async function insertUsers(store: UserStore, count: number, firstCreatedAt?: number): Promise<StoredUser[]> {
  const users = storedUsers(count, firstCreatedAt);
  await store.createMany(users);
  return users;
}

async function emptyStore(store: UserStore): Promise<void> {
  for (;;) {
    const users = await store.listPage(undefined, 1_000);
    if (users.length === 0) {
      return;
    }
    for (const user of users) {
      await store.delete(user.id);
    }
  }
}

async function countStored(store: UserStore): Promise<number> {
  return (await store.listPage(undefined, 100_000)).length;
}

/** The ids in ListUsers order: creation time, then id. */
function listingOrder(users: readonly StoredUser[]): string[] {
  return [...users]
    .sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map((u) => u.id);
}

function shuffled<T>(items: readonly T[]): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}

function toPlainUser(user: User | StoredUser) {
  return {
    id: user.id,
    username: user.username,
    email: user.email,
    createdAt: Number(user.createdAt),
    roles: [...user.roles],
  };
}

interface Page {
  readonly ids: string[];
  readonly nextPageToken: string | null;
}

async function readPage(
  client: Client<typeof UserService>,
  request: MessageInitShape<typeof ListUsersRequestSchema>,
): Promise<Page> {
  let trailer: Headers | undefined;
  const users = await collect(
    client.listUsers(request, { timeoutMs: STREAM_TIMEOUT_MS, onTrailer: (t) => (trailer = t) }),
  );
  return { ids: users.map((u) => u.id), nextPageToken: trailer?.get(NEXT_PAGE_TOKEN) ?? null };
}

/** Follows next-page-token until a page comes without one (bounded, in case it never stops). */
async function readAllPages(client: Client<typeof UserService>, pageSize: number, pageToken = ""): Promise<Page[]> {
  const pages: Page[] = [];
  do {
    const page = await readPage(client, { pageSize, pageToken });
    pages.push(page);
    pageToken = page.nextPageToken ?? "";
    assert.ok(pages.length <= 100, "next-page-token never stopped");
  } while (pageToken !== "");
  return pages;
}

async function collect<T>(messages: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const m of messages) {
    all.push(m);
  }
  return all;
}

async function* fromArray<T>(items: readonly T[]): AsyncGenerator<T> {
  yield* items;
}

interface ChatSession {
  /** The user id of the member's token: the sender the room should name. */
  readonly userId: string;
  /** Resolves once the transport has taken the message, which claims to be from `claimedUserId` (the member's own id by default). */
  send(text: string, claimedUserId?: string): Promise<void>;
  /** The next message from the room; rejects when the stream fails, fails when it ends. */
  receive(): Promise<ChatMessage>;
  /** Ends the request stream; the call itself stays up. */
  stopSending(): void;
  /** True once the response stream has ended with OK. */
  ended(): Promise<boolean>;
  /** Ends the request stream and cancels whatever is left of the call. */
  leave(): void;
}

function joinChat(client: Client<typeof UserService>, userId: string, timeoutMs = STREAM_TIMEOUT_MS): ChatSession {
  const outbox = createWritableIterable<MessageInitShape<typeof ChatMessageSchema>>();
  // Cancelling, not just dropping the response iterator, is what releases the
  // HTTP/2 stream: an unread stream would keep the connection (and with it the
  // server's shutdown) open.
  const call = new AbortController();
  const inbox = client.chat(outbox, { timeoutMs, signal: call.signal })[Symbol.asyncIterator]();
  let sending = true;
  return {
    userId,
    send: (text, claimedUserId = userId) => outbox.write({ userId: claimedUserId, text, timestamp: 1n }),
    async receive() {
      const next = await inbox.next();
      assert.equal(next.done, false, "the chat stream ended");
      return next.value;
    },
    stopSending() {
      if (!sending) {
        return;
      }
      sending = false;
      outbox.close();
    },
    async ended() {
      return (await inbox.next()).done === true;
    },
    leave() {
      this.stopSending();
      call.abort();
    },
  };
}

function assertAboutNow(unixSeconds: number, toleranceSeconds: number): void {
  const now = Date.now() / 1000;
  assert.ok(
    Math.abs(unixSeconds - now) <= toleranceSeconds,
    `expected a time within ${toleranceSeconds} s of now (${now}), got ${unixSeconds}`,
  );
}

async function assertConnectError(call: Promise<unknown>, code: Code, message: RegExp): Promise<void> {
  await assert.rejects(call, (e: unknown) => {
    assert.ok(e instanceof ConnectError, `expected a ConnectError, got ${String(e)}`);
    assert.equal(Code[e.code], Code[code], `wrong code for "${e.message}"`);
    assert.match(e.rawMessage, message);
    return true;
  });
}
