/**
 * An in-memory UserStore for fast unit tests. It keeps the same contract as
 * the database backends (see test/store-contract.ts), so tests written
 * against it hold for them too.
 */
import {
  DuplicateUserError,
  type StoredUser,
  type UserCursor,
  type UserStore,
} from "./store.js";

export function createMemoryStore(): UserStore {
  // Kept in listing order, so listPage is a binary search and a slice rather
  // than a sort of the whole table on every call.
  const ordered: StoredUser[] = [];
  const byId = new Map<string, StoredUser>();
  // Keyed by the lower-cased value: uniqueness is case-insensitive.
  const byUsername = new Map<string, StoredUser>();
  const byEmail = new Map<string, StoredUser>();
  let closed = false;

  function addToMaps(user: StoredUser): void {
    byId.set(user.id, user);
    byUsername.set(user.username.toLowerCase(), user);
    byEmail.set(user.email.toLowerCase(), user);
  }

  function removeFromMaps(user: StoredUser): void {
    byId.delete(user.id);
    byUsername.delete(user.username.toLowerCase());
    byEmail.delete(user.email.toLowerCase());
  }

  /** First position in `ordered` that sorts strictly after `cursor`. */
  function indexAfter(cursor: UserCursor): number {
    let low = 0;
    let high = ordered.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (compareListingOrder(ordered[middle]!, cursor) <= 0) {
        low = middle + 1;
      } else {
        high = middle;
      }
    }
    return low;
  }

  /**
   * Throws unless every user can be inserted, checking each against the
   * stored users and against the batch entries before it. Runs before any
   * insert, which is what makes createMany all or none.
   */
  function assertInsertable(users: readonly StoredUser[], isBatch: boolean): void {
    const ids = new Set<string>();
    const usernames = new Set<string>();
    const emails = new Set<string>();
    users.forEach((user, position) => {
      const index = isBatch ? position : undefined;
      // A repeated id is a bug in id assignment, not a taken name.
      if (byId.has(user.id) || ids.has(user.id)) {
        throw new Error(`a user with id ${user.id} already exists`);
      }
      const username = user.username.toLowerCase();
      if (byUsername.has(username) || usernames.has(username)) {
        throw new DuplicateUserError("username", index);
      }
      const email = user.email.toLowerCase();
      if (byEmail.has(email) || emails.has(email)) {
        throw new DuplicateUserError("email", index);
      }
      ids.add(user.id);
      usernames.add(username);
      emails.add(email);
    });
  }

  function insert(user: StoredUser): void {
    const stored = freezeUser(user);
    ordered.splice(indexAfter(stored), 0, stored);
    addToMaps(stored);
  }

  return {
    async get(id) {
      return byId.get(id);
    },

    async findByUsername(username) {
      return byUsername.get(username.toLowerCase());
    },

    async create(user) {
      assertInsertable([user], false);
      insert(user);
    },

    async createMany(users) {
      assertInsertable(users, true);
      users.forEach(insert);
    },

    async update(id, patch) {
      const current = byId.get(id);
      if (current === undefined) {
        return undefined;
      }
      const next = freezeUser({
        ...current,
        username: patch.username ?? current.username,
        email: patch.email ?? current.email,
        passwordHash: patch.passwordHash ?? current.passwordHash,
        roles: patch.roles ?? current.roles,
      });
      // The user's own entry does not count as a clash (e.g. a change of case).
      const usernameOwner = byUsername.get(next.username.toLowerCase());
      if (usernameOwner !== undefined && usernameOwner.id !== id) {
        throw new DuplicateUserError("username");
      }
      const emailOwner = byEmail.get(next.email.toLowerCase());
      if (emailOwner !== undefined && emailOwner.id !== id) {
        throw new DuplicateUserError("email");
      }
      removeFromMaps(current);
      addToMaps(next);
      // createdAt and id are unchanged, so the user keeps its position; the
      // slot just before indexAfter(current) is the user itself.
      ordered[indexAfter(current) - 1] = next;
      return next;
    },

    async delete(id) {
      const current = byId.get(id);
      if (current === undefined) {
        return false;
      }
      removeFromMaps(current);
      ordered.splice(indexAfter(current) - 1, 1);
      return true;
    },

    async listPage(after, limit) {
      const start = after === undefined ? 0 : indexAfter(after);
      return ordered.slice(start, start + limit);
    },

    async ping() {
      if (closed) {
        throw new Error("the store is closed");
      }
    },

    async close() {
      closed = true;
      ordered.length = 0;
      byId.clear();
      byUsername.clear();
      byEmail.clear();
    },
  };
}

/**
 * Orders by createdAt, then id. Ids compare as plain strings, which matches
 * SQLite's default (binary) collation for the ASCII UUIDs we assign.
 */
function compareListingOrder(a: UserCursor, b: UserCursor): number {
  if (a.createdAt !== b.createdAt) {
    return a.createdAt - b.createdAt;
  }
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/**
 * Stored records are frozen copies: callers can neither change stored state
 * through a returned user nor through the object they passed in.
 */
function freezeUser(user: StoredUser): StoredUser {
  return Object.freeze({
    id: user.id,
    username: user.username,
    email: user.email,
    passwordHash: user.passwordHash,
    createdAt: user.createdAt,
    roles: Object.freeze([...user.roles]),
  });
}
