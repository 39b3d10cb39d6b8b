/**
 * The SQLite backend, on better-sqlite3. Its calls are synchronous; the
 * methods are async only because the UserStore contract is.
 */
import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { applyMigrations } from "./sqlite-migrations.js";
import {
  DuplicateUserError,
  type StoredUser,
  type UniqueField,
  type UserStore,
} from "./store.js";

export interface SqliteStoreOptions {
  /** The database file (its directory is created if missing), or ":memory:". */
  readonly path: string;
}

/** A row of the users table (see sqlite-migrations.ts). */
interface UserRow {
  id: string;
  username: string;
  email: string;
  password_hash: string;
  created_at: number;
  /** JSON array of strings. */
  roles: string;
}

/** Named parameters of the update statement; null keeps the column's value. */
interface UserPatchRow {
  id: string;
  username: string | null;
  email: string | null;
  password_hash: string | null;
  roles: string | null;
}

const userColumns = "id, username, email, password_hash, created_at, roles";

export function createSqliteStore(options: SqliteStoreOptions): UserStore {
  if (options.path !== ":memory:") {
    fs.mkdirSync(path.dirname(options.path), { recursive: true });
  }
  const db = new Database(options.path);
  try {
    return openUserStore(db);
  } catch (err) {
    db.close();
    throw err;
  }
}

function openUserStore(db: Database.Database): UserStore {
  // Set first: the pragmas and migrations below may wait on another
  // connection's lock, and should wait rather than fail with SQLITE_BUSY.
  db.pragma("busy_timeout = 5000");
  // WAL lets reads proceed beside a write; with WAL, NORMAL only risks the
  // last commits on an OS crash or power loss, never corruption.
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  // Off by default in SQLite; on, so that later tables' references hold.
  db.pragma("foreign_keys = ON");
  applyMigrations(db);

  // Prepared once here rather than per call: every method is on the hot path.
  const selectById = db.prepare<[string], UserRow>(
    `SELECT ${userColumns} FROM users WHERE id = ?`,
  );
  // lower(?) on both sides lets the lookup use users_username_lower.
  const selectByUsername = db.prepare<[string], UserRow>(
    `SELECT ${userColumns} FROM users WHERE lower(username) = lower(?)`,
  );
  const insertUser = db.prepare<UserRow>(
    `INSERT INTO users (${userColumns})
     VALUES (@id, @username, @email, @password_hash, @created_at, @roles)`,
  );
  const updateUser = db.prepare<UserPatchRow, UserRow>(
    `UPDATE users SET
       username = coalesce(@username, username),
       email = coalesce(@email, email),
       password_hash = coalesce(@password_hash, password_hash),
       roles = coalesce(@roles, roles)
     WHERE id = @id
     RETURNING ${userColumns}`,
  );
  const deleteUser = db.prepare<[string]>("DELETE FROM users WHERE id = ?");
  // A query that reads no table: it fails only when the connection does.
  const selectOne = db.prepare("SELECT 1");
  const selectFirstPage = db.prepare<[number], UserRow>(
    `SELECT ${userColumns} FROM users ORDER BY created_at, id LIMIT ?`,
  );
  const selectPageAfter = db.prepare<[number, string, number], UserRow>(
    `SELECT ${userColumns} FROM users
     WHERE (created_at, id) > (?, ?)
     ORDER BY created_at, id LIMIT ?`,
  );
  // Throwing inside db.transaction rolls the whole batch back.
  const insertBatch = db.transaction((users: readonly StoredUser[]) => {
    users.forEach((user, index) => {
      try {
        insertUser.run(toUserRow(user));
      } catch (err) {
        throw toDuplicateUserError(err, index) ?? err;
      }
    });
  });

  return {
    async get(id) {
      const row = selectById.get(id);
      return row && toStoredUser(row);
    },

    async findByUsername(username) {
      const row = selectByUsername.get(username);
      return row && toStoredUser(row);
    },

    async create(user) {
      try {
        insertUser.run(toUserRow(user));
      } catch (err) {
        throw toDuplicateUserError(err) ?? err;
      }
    },

    async createMany(users) {
      insertBatch(users);
    },

    async update(id, patch) {
      let row: UserRow | undefined;
      try {
        row = updateUser.get({
          id,
          username: patch.username ?? null,
          email: patch.email ?? null,
          password_hash: patch.passwordHash ?? null,
          roles: patch.roles === undefined ? null : JSON.stringify(patch.roles),
        });
      } catch (err) {
        throw toDuplicateUserError(err) ?? err;
      }
      return row && toStoredUser(row);
    },

    async delete(id) {
      return deleteUser.run(id).changes > 0;
    },

    async listPage(after, limit) {
      const rows =
        after === undefined
          ? selectFirstPage.all(limit)
          : selectPageAfter.all(after.createdAt, after.id, limit);
      return rows.map(toStoredUser);
    },

    async ping() {
      selectOne.get();
    },

    async close() {
      db.close();
    },
  };
}

// Migration 1 names each unique index after its field.
const fieldByUniqueIndex = new Map<string, UniqueField>([
  ["users_username_lower", "username"],
  ["users_email_lower", "email"],
]);

/**
 * The DuplicateUserError for a unique-index failure, or undefined for any
 * other error. A clash on the primary key has its own code
 * (SQLITE_CONSTRAINT_PRIMARYKEY) and stays a plain error: it is a bug in id
 * assignment, not a taken username.
 */
function toDuplicateUserError(err: unknown, index?: number): DuplicateUserError | undefined {
  if (!(err instanceof Database.SqliteError) || err.code !== "SQLITE_CONSTRAINT_UNIQUE") {
    return undefined;
  }
  // The message names the index: "UNIQUE constraint failed: index 'users_email_lower'".
  const indexName = /index '([^']+)'/.exec(err.message)?.[1];
  const field = indexName === undefined ? undefined : fieldByUniqueIndex.get(indexName);
  return field === undefined ? undefined : new DuplicateUserError(field, index);
}

function toUserRow(user: StoredUser): UserRow {
  return {
    id: user.id,
    username: user.username,
    email: user.email,
    password_hash: user.passwordHash,
    created_at: user.createdAt,
    roles: JSON.stringify(user.roles),
  };
}

function toStoredUser(row: UserRow): StoredUser {
  return {
    id: row.id,
    username: row.username,
    email: row.email,
    passwordHash: row.password_hash,
    createdAt: row.created_at,
    roles: JSON.parse(row.roles) as string[],
  };
}
