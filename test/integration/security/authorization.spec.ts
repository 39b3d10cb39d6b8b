/**
 * Authorization over a real port: who may change, delete and see which
 * accounts, who may grant roles, whose name a chat message carries, and the
 * admin account configured at start (ADMIN_USERNAME / ADMIN_PASSWORD).
 *
 * Callers are real accounts that signed up and logged in; the admin is a
 * token with the admin role (the server trusts the roles its tokens carry).
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, afterEach, before, beforeEach, describe, it } from "node:test";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { Code, createClient, type Client } from "@connectrpc/connect";
import { createWritableIterable } from "@connectrpc/connect/protocol";
import { decodeJwt } from "jose";
import { AuthService } from "../../../gen/auth/v1/auth_pb.js";
import { UserService, type ChatMessageSchema, type User } from "../../../gen/user/v1/user_pb.js";
import { createSqliteStore } from "../../../server/storage/sqlite.js";
import type { UserStore } from "../../../server/storage/store.js";
import { assertConnectError } from "../../support/assert-connect-error.js";
import { protocolTransports, type ProtocolTransport } from "../../support/protocol-transports.js";
import { bearer, startServer, type TestServer } from "../../support/start-server.js";


type UserClient = Client<typeof UserService>;

interface Account {
  readonly user: User;
  readonly password: string;
  /** A UserService client that sends this account's token from Login. */
  readonly client: UserClient;
}

/** Signs `name` up and logs in over `row`; the account's client carries its token. */
async function createAccount(row: ProtocolTransport, server: TestServer, name: string): Promise<Account> {
  const transport = row.create(server.baseUrl);
  const password = `pw-${randomUUID()}`;
  const user = await createClient(UserService, transport).createUser({ username: name, email: `${name}@example.com`, password });
  const { accessToken } = await createClient(AuthService, transport).login({ username: name, password });
  return { user, password, client: clientWithToken(row, server, accessToken) };
}

function clientWithToken(row: ProtocolTransport, server: TestServer, token: string): UserClient {
  return createClient(UserService, row.create(server.baseUrl, { interceptors: [bearer(token)] }));
}

async function emptyStore(store: UserStore): Promise<void> {
  for (const user of await store.listPage(undefined, 10_000)) {
    await store.delete(user.id);
  }
}

/** A change to an account that only its owner or an admin may make. */
interface OwnerOnlyChange {
  readonly name: string;
  readonly verb: "update" | "delete";
  make(client: UserClient, target: User): Promise<unknown>;
  /** Asserts the change is in the store (true) or is not (false). */
  assertMade(store: UserStore, target: User, made: boolean): Promise<void>;
}

const ownerOnlyChanges: readonly OwnerOnlyChange[] = [
  {
    name: "change the email of",
    verb: "update",
    make: (client, target) => client.updateUser({ id: target.id, email: `changed-${target.username}@example.com` }),
    async assertMade(store, target, made) {
      const expected = made ? `changed-${target.username}@example.com` : target.email;
      assert.equal((await store.get(target.id))?.email, expected);
    },
  },
  {
    name: "delete",
    verb: "delete",
    make: (client, target) => client.deleteUser({ id: target.id }),
    async assertMade(store, target, made) {
      assert.equal((await store.get(target.id)) === undefined, made);
    },
  },
];

for (const row of protocolTransports) {
  describe(`authorization over ${row.name}`, { timeout: 30_000 }, () => {
    let server: TestServer;
    let alice: Account;
    let bob: Account;
    let admin: UserClient;

    before(async () => {
      server = await startServer();
    });

    after(() => server.close());

    beforeEach(async () => {
      await emptyStore(server.store);
      alice = await createAccount(row, server, "alice");
      bob = await createAccount(row, server, "bob");
      admin = clientWithToken(row, server, await server.adminToken());
    });

    for (const change of ownerOnlyChanges) {
      describe(`to ${change.name} an account`, () => {
        it("a user is PERMISSION_DENIED on another user's account, which stays as it was", async () => {
          await assertConnectError(
            change.make(alice.client, bob.user),
            Code.PermissionDenied,
            new RegExp(`^only the account's owner or an admin may ${change.verb} it$`),
          );
          await change.assertMade(server.store, bob.user, false);
        });

        it("an admin succeeds on another user's account", async () => {
          await change.make(admin, bob.user);

          await change.assertMade(server.store, bob.user, true);
        });

        it("a user succeeds on their own account", async () => {
          await change.make(bob.client, bob.user);

          await change.assertMade(server.store, bob.user, true);
        });
      });
    }

    describe("roles", () => {
      it("a user who tries to make themself admin is PERMISSION_DENIED and nothing changes", async () => {
        await assertConnectError(
          alice.client.updateUser({ id: alice.user.id, username: "alice_admin", roles: ["user", "admin"] }),
          Code.PermissionDenied,
          /^only an admin may change roles$/,
        );
        const stored = await server.store.get(alice.user.id);
        assert.deepEqual(stored?.roles, ["user"]);
        assert.equal(stored?.username, "alice");
      });

      it("a user may not set even their current roles", async () => {
        await assertConnectError(
          alice.client.updateUser({ id: alice.user.id, roles: ["user"] }),
          Code.PermissionDenied,
          /^only an admin may change roles$/,
        );
      });

      it("an admin promotes a user, whose next login carries the admin role and its powers", async () => {
        const updated = await admin.updateUser({ id: bob.user.id, roles: ["user", "admin"] });
        assert.deepEqual(updated.roles, ["user", "admin"]);

        const { accessToken } = await createClient(AuthService, row.create(server.baseUrl)).login({
          username: "bob",
          password: bob.password,
        });
        assert.deepEqual(decodeJwt(accessToken).roles, ["user", "admin"]);
        const promoted = clientWithToken(row, server, accessToken);
        await promoted.updateUser({ id: alice.user.id, username: "alice2" });
        assert.equal((await server.store.get(alice.user.id))?.username, "alice2");
      });

      const invalidRoles: readonly { name: string; roles: string[] }[] = [
        { name: "an unknown role", roles: ["superuser"] },
        { name: "a role given twice", roles: ["admin", "admin"] },
        { name: "an empty role", roles: [""] },
      ];
      for (const { name, roles } of invalidRoles) {
        it(`an admin granting ${name} is INVALID_ARGUMENT and nothing changes`, async () => {
          await assertConnectError(admin.updateUser({ id: bob.user.id, roles }), Code.InvalidArgument, /^roles/);
          assert.deepEqual((await server.store.get(bob.user.id))?.roles, ["user"]);
        });
      }
    });

    describe("email visibility", () => {
      const viewers: readonly { name: string; viewer: () => UserClient; seesEmailOf: (user: User) => boolean }[] = [
        { name: "alice", viewer: () => alice.client, seesEmailOf: (user) => user.id === alice.user.id },
        { name: "an admin", viewer: () => admin, seesEmailOf: () => true },
      ];
      for (const { name, viewer, seesEmailOf } of viewers) {
        it(`GetUser shows ${name} the emails of ${name === "alice" ? "her own account only" : "every account"}`, async () => {
          for (const account of [alice, bob]) {
            const seen = await viewer().getUser({ id: account.user.id });
            assert.equal(seen.email, seesEmailOf(account.user) ? account.user.email : "", account.user.username);
          }
        });

        it(`ListUsers shows ${name} the emails of ${name === "alice" ? "her own account only" : "every account"}`, async () => {
          const seen = new Map<string, string>();
          for await (const user of viewer().listUsers({})) {
            seen.set(user.id, user.email);
          }
          assert.deepEqual(
            seen,
            new Map([alice, bob].map((a) => [a.user.id, seesEmailOf(a.user) ? a.user.email : ""])),
          );
        });
      }
    });

    if (row.fullDuplex) {
      describe("Chat", () => {
        it("sends messages under the token's subject, whatever user_id the client wrote", async () => {
          const outbox = createWritableIterable<MessageInitShape<typeof ChatMessageSchema>>();
          const call = new AbortController();
          const inbox = alice.client.chat(outbox, { signal: call.signal, timeoutMs: 5_000 })[Symbol.asyncIterator]();
          try {
            await outbox.write({ userId: bob.user.id, text: "I am bob, trust me" });

            const next = await inbox.next();
            assert.equal(next.done, false);
            assert.equal(next.value.userId, alice.user.id);
            assert.equal(next.value.text, "I am bob, trust me");
          } finally {
            outbox.close();
            call.abort();
            // Reading the cancelled stream to its end clears its deadline timer.
            await inbox.next().catch(() => undefined);
          }
        });
      });
    }
  });
}

describe("the admin account from ADMIN_USERNAME and ADMIN_PASSWORD", { timeout: 30_000 }, () => {
  let dir: string;
  let running: TestServer | undefined;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "user-admin-"));
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  afterEach(async () => {
    await running?.close();
    running = undefined;
  });

  /** A server on the SQLite file of this test, which outlives each server (app.close() closes the store). */
  async function restart(file: string, env: Record<string, string> = {}): Promise<TestServer> {
    await running?.close();
    running = await startServer({ env, store: createSqliteStore({ path: join(dir, file) }) });
    return running;
  }

  const login = (server: TestServer, username: string, password: string) =>
    createClient(AuthService, protocolTransports[0]!.create(server.baseUrl)).login({ username, password });

  it("is created at start with the admin role, and a restart with a new ADMIN_PASSWORD changes its password", async () => {
    const first = await restart("created.db", {
      ADMIN_USERNAME: "root",
      ADMIN_PASSWORD: "first-password-1",
      ADMIN_EMAIL: "root@example.com",
    });
    const { accessToken } = await login(first, "root", "first-password-1");
    const claims = decodeJwt(accessToken);
    assert.deepEqual(claims.roles, ["user", "admin"]);
    const root = await clientWithToken(protocolTransports[0]!, first, accessToken).getUser({ id: claims.sub! });
    assert.equal(root.username, "root");
    assert.equal(root.email, "root@example.com");

    const second = await restart("created.db", {
      ADMIN_USERNAME: "root",
      ADMIN_PASSWORD: "second-password-2",
      ADMIN_EMAIL: "root@example.com",
    });
    for (const row of protocolTransports) {
      const auth = createClient(AuthService, row.create(second.baseUrl));
      await assertConnectError(
        auth.login({ username: "root", password: "first-password-1" }),
        Code.Unauthenticated,
        /^invalid username or password$/,
      );
      assert.deepEqual(decodeJwt((await auth.login({ username: "root", password: "second-password-2" })).accessToken).roles, [
        "user",
        "admin",
      ]);
    }
    const users = await second.store.listPage(undefined, 100);
    assert.deepEqual(users.map((u) => u.id), [claims.sub], "the restart kept the one admin account");
  });

  it("promotes an existing user of that name and gives them ADMIN_PASSWORD", async () => {
    const first = await restart("promoted.db");
    const transport = protocolTransports[0]!.create(first.baseUrl);
    await createClient(UserService, transport).createUser({ username: "boss", email: "boss@example.com", password: "users-own-password" });

    const second = await restart("promoted.db", { ADMIN_USERNAME: "boss", ADMIN_PASSWORD: "admins-password-1" });

    await assertConnectError(login(second, "boss", "users-own-password"), Code.Unauthenticated);
    const { accessToken } = await login(second, "boss", "admins-password-1");
    assert.deepEqual(decodeJwt(accessToken).roles, ["user", "admin"]);
  });

  it("refuses to start with an ADMIN_PASSWORD that breaks the sign-up rules", async () => {
    await assert.rejects(
      startServer({ env: { ADMIN_USERNAME: "root", ADMIN_PASSWORD: "short" } }),
      /ADMIN_USERNAME, ADMIN_EMAIL or ADMIN_PASSWORD break the sign-up rules: password/,
    );
  });
});
