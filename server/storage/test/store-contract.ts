/**
 * The behaviour every UserStore backend must show. Each backend's spec calls
 * describeStoreContract with a way to open a fresh, empty store.
 */
import { randomUUID } from "node:crypto";
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  DuplicateUserError,
  type StoredUser,
  type UniqueField,
  type UserStore,
} from "../store.js";

export function describeStoreContract(
  name: string,
  open: () => Promise<UserStore> | UserStore,
): void {
  describe(`${name} store contract`, () => {
    let store: UserStore;

    beforeEach(async () => {
      store = await open();
    });

    afterEach(async () => {
      await store.close();
    });

    describe("ping", () => {
      it("resolves while the store is open", async () => {
        await store.ping();
      });

      it("rejects once the store is closed", async () => {
        await store.close();
        await assert.rejects(store.ping());
      });
    });

    describe("create and get", () => {
      it("returns the created user, roles included", async () => {
        const alice = makeUser({ roles: ["admin", "user"] });
        await store.create(alice);
        assert.deepEqual(await store.get(alice.id), alice);
      });

      it("keeps an empty roles list", async () => {
        const alice = makeUser({ roles: [] });
        await store.create(alice);
        assert.deepEqual((await store.get(alice.id))?.roles, []);
      });

      it("returns undefined for an unknown id", async () => {
        assert.equal(await store.get("no-such-id"), undefined);
      });

      it("is not changed through the objects passed in or returned", async () => {
        const roles = ["user"];
        const alice = makeUser({ roles });
        await store.create(alice);
        roles.push("admin");
        const returned = await store.get(alice.id);
        assert.ok(returned);
        // A backend may return frozen records, which reject the change outright.
        try {
          (returned.roles as string[]).push("admin");
        } catch {
          // Either way, the stored user must be unchanged.
        }
        assert.deepEqual((await store.get(alice.id))?.roles, ["user"]);
      });

      it("rejects a second user with a taken id, but not as a taken name", async () => {
        const alice = makeUser();
        await store.create(alice);
        const copy = makeUser({ id: alice.id });
        await assert.rejects(store.create(copy), (err) => !(err instanceof DuplicateUserError));
      });
    });

    describe("findByUsername", () => {
      it("finds a user whatever the case of the name", async () => {
        const alice = makeUser({ username: "Alice" });
        await store.create(alice);
        assert.deepEqual(await store.findByUsername("aLICE"), alice);
      });

      it("returns undefined for an unknown name", async () => {
        await store.create(makeUser({ username: "alice" }));
        assert.equal(await store.findByUsername("bob"), undefined);
      });
    });

    describe("uniqueness", () => {
      it("rejects a username that differs only by case", async () => {
        await store.create(makeUser({ username: "Alice" }));
        await assert.rejects(
          store.create(makeUser({ username: "aLiCe" })),
          duplicateOf("username", undefined),
        );
      });

      it("rejects an email that differs only by case", async () => {
        await store.create(makeUser({ email: "Alice@Example.com" }));
        await assert.rejects(
          store.create(makeUser({ email: "alice@example.COM" })),
          duplicateOf("email", undefined),
        );
      });
    });

    describe("createMany", () => {
      it("inserts every user", async () => {
        const users = [makeUser(), makeUser(), makeUser()];
        await store.createMany(users);
        for (const user of users) {
          assert.deepEqual(await store.get(user.id), user);
        }
        assert.deepEqual(await store.listPage(undefined, 10), sortedForListing(users));
      });

      it("accepts an empty batch", async () => {
        await store.createMany([]);
        assert.deepEqual(await store.listPage(undefined, 10), []);
      });

      it("stores nothing when an entry clashes with a stored user", async () => {
        await store.create(makeUser({ email: "taken@example.com" }));
        const batch = [makeUser(), makeUser(), makeUser({ email: "TAKEN@example.com" }), makeUser()];
        await assert.rejects(store.createMany(batch), duplicateOf("email", 2));
        await assertNoneStored(store, batch);
      });

      it("stores nothing when two entries of the batch clash", async () => {
        const batch = [
          makeUser({ username: "carol" }),
          makeUser(),
          makeUser({ username: "Carol" }),
        ];
        await assert.rejects(store.createMany(batch), duplicateOf("username", 2));
        await assertNoneStored(store, batch);
      });
    });

    describe("update", () => {
      it("changes only the given fields", async () => {
        const alice = makeUser({ roles: ["user"], createdAt: 1_700_000_001 });
        const bob = makeUser({ createdAt: 1_700_000_000 });
        await store.createMany([alice, bob]);

        const renamed = await store.update(alice.id, { username: "alice-renamed" });
        assert.deepEqual(renamed, { ...alice, username: "alice-renamed" });

        const promoted = await store.update(alice.id, { roles: ["admin", "user"] });
        assert.deepEqual(promoted, { ...alice, username: "alice-renamed", roles: ["admin", "user"] });

        const moved = await store.update(alice.id, { email: "new@example.com" });
        const expected = {
          ...alice,
          username: "alice-renamed",
          email: "new@example.com",
          roles: ["admin", "user"],
        };
        assert.deepEqual(moved, expected);
        assert.deepEqual(await store.get(alice.id), expected);
        assert.deepEqual(await store.listPage(undefined, 10), [bob, expected]);

        const rehashed = await store.update(alice.id, { passwordHash: "scrypt$new" });
        assert.deepEqual(rehashed, { ...expected, passwordHash: "scrypt$new" });
      });

      it("keeps every field for an empty patch", async () => {
        const alice = makeUser();
        await store.create(alice);
        assert.deepEqual(await store.update(alice.id, {}), alice);
      });

      it("can change the case of the user's own username", async () => {
        const alice = makeUser({ username: "alice" });
        await store.create(alice);
        assert.deepEqual(await store.update(alice.id, { username: "Alice" }), {
          ...alice,
          username: "Alice",
        });
        assert.equal((await store.findByUsername("alice"))?.id, alice.id);
      });

      it("frees the old username for others", async () => {
        const alice = makeUser({ username: "alice" });
        await store.create(alice);
        await store.update(alice.id, { username: "alicia" });
        await store.create(makeUser({ username: "alice" }));
        assert.equal((await store.findByUsername("alicia"))?.id, alice.id);
      });

      it("rejects a username taken by another user and leaves the row unchanged", async () => {
        const alice = makeUser({ username: "alice" });
        const bob = makeUser({ username: "bob" });
        await store.createMany([alice, bob]);
        await assert.rejects(
          store.update(bob.id, { username: "ALICE", roles: ["admin"] }),
          duplicateOf("username", undefined),
        );
        assert.deepEqual(await store.get(bob.id), bob);
      });

      it("rejects an email taken by another user and leaves the row unchanged", async () => {
        const alice = makeUser({ email: "alice@example.com" });
        const bob = makeUser({ email: "bob@example.com" });
        await store.createMany([alice, bob]);
        await assert.rejects(
          store.update(bob.id, { email: "Alice@Example.com" }),
          duplicateOf("email", undefined),
        );
        assert.deepEqual(await store.get(bob.id), bob);
      });

      it("returns undefined for an unknown id", async () => {
        assert.equal(await store.update("no-such-id", { username: "x" }), undefined);
      });
    });

    describe("delete", () => {
      it("removes the user and frees its username", async () => {
        const alice = makeUser({ username: "alice" });
        const bob = makeUser();
        await store.createMany([alice, bob]);
        assert.equal(await store.delete(alice.id), true);
        assert.equal(await store.get(alice.id), undefined);
        assert.equal(await store.findByUsername("alice"), undefined);
        assert.deepEqual(await store.listPage(undefined, 10), [bob]);
        await store.create(makeUser({ username: "alice" }));
      });

      it("returns false for an unknown id", async () => {
        assert.equal(await store.delete("no-such-id"), false);
      });
    });

    describe("listPage", () => {
      it("orders by createdAt, then id, and pages without gaps or repeats", async () => {
        // 25 users, four to a timestamp, inserted out of listing order.
        const users = Array.from({ length: 25 }, (_, i) =>
          makeUser({ createdAt: 1_700_000_000 + Math.floor(((i * 7) % 25) / 4) }),
        );
        await store.createMany(users);

        const seen: StoredUser[] = [];
        const pageSizes: number[] = [];
        let page = await store.listPage(undefined, 7);
        while (page.length > 0) {
          pageSizes.push(page.length);
          seen.push(...page);
          const last = page[page.length - 1]!;
          page = await store.listPage({ createdAt: last.createdAt, id: last.id }, 7);
        }

        assert.deepEqual(pageSizes, [7, 7, 7, 4]);
        assert.deepEqual(seen, sortedForListing(users));
      });

      it("returns an empty page for a cursor past the end", async () => {
        const alice = makeUser({ createdAt: 1_700_000_000 });
        await store.create(alice);
        assert.deepEqual(await store.listPage({ createdAt: alice.createdAt, id: alice.id }, 5), []);
        assert.deepEqual(await store.listPage({ createdAt: 1_800_000_000, id: "" }, 5), []);
      });

      it("shows users inserted after the cursor on later pages", async () => {
        const users = [1, 2, 3, 4].map((second) => makeUser({ createdAt: 1_700_000_000 + second }));
        await store.createMany(users);
        const first = await store.listPage(undefined, 2);
        const cursor = { createdAt: first[1]!.createdAt, id: first[1]!.id };

        const before = makeUser({ createdAt: 1_700_000_000 });
        const after = makeUser({ createdAt: 1_700_000_003 });
        await store.createMany([before, after]);

        const rest = await store.listPage(cursor, 10);
        assert.deepEqual(rest, sortedForListing([users[2]!, users[3]!, after]));
      });
    });
  });
}

let userCount = 0;

/** A valid user with unique fields; ids are random, so insertion order is not listing order. */
function makeUser(fields: Partial<StoredUser> = {}): StoredUser {
  userCount += 1;
  return {
    id: randomUUID(),
    username: `user${userCount}`,
    email: `user${userCount}@example.com`,
    passwordHash: `hash-${userCount}`,
    createdAt: 1_700_000_000,
    roles: ["user"],
    ...fields,
  };
}

function sortedForListing(users: readonly StoredUser[]): StoredUser[] {
  return [...users].sort((a, b) =>
    a.createdAt !== b.createdAt ? a.createdAt - b.createdAt : a.id < b.id ? -1 : a.id > b.id ? 1 : 0,
  );
}

function duplicateOf(field: UniqueField, index: number | undefined): (err: unknown) => boolean {
  return (err) => {
    assert.ok(err instanceof DuplicateUserError, `expected DuplicateUserError, got ${String(err)}`);
    assert.equal(err.field, field);
    assert.equal(err.index, index);
    return true;
  };
}

async function assertNoneStored(store: UserStore, users: readonly StoredUser[]): Promise<void> {
  for (const user of users) {
    assert.equal(await store.get(user.id), undefined, `user ${user.id} was stored`);
  }
}
