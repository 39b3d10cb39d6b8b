/**
 * The storage interface every backend implements (memory, SQLite, later PostgreSQL).
 *
 * It speaks in plain records and async methods so that a networked database can
 * implement it unchanged; nothing here knows about SQL, protobuf or Connect.
 */

/** A user as stored, password hash included. Never sent to clients as is. */
export interface StoredUser {
  /** UUID assigned by the service. */
  readonly id: string;
  /** As entered (trimmed); unique case-insensitively. */
  readonly username: string;
  /** As entered (trimmed); unique case-insensitively. */
  readonly email: string;
  /** Encoded password hash (see services/password.ts); opaque to storage. */
  readonly passwordHash: string;
  /** Creation time in unix seconds. */
  readonly createdAt: number;
  readonly roles: readonly string[];
}

/** The fields a write may change; an absent field keeps its value. */
export interface UserPatch {
  readonly username?: string;
  readonly email?: string;
  readonly passwordHash?: string;
  readonly roles?: readonly string[];
}

/** A position in the listing order (createdAt, then id), exclusive. */
export interface UserCursor {
  readonly createdAt: number;
  readonly id: string;
}

/**
 * Usernames and emails are unique ignoring ASCII case. The service accepts
 * only ASCII in both fields, so every backend folds case the same way.
 */
export type UniqueField = "username" | "email";

/**
 * A write would give two users the same username or email (compared
 * case-insensitively). `index` is the position in a `createMany` batch,
 * or undefined for single-user writes.
 */
export class DuplicateUserError extends Error {
  override readonly name = "DuplicateUserError";

  constructor(
    readonly field: UniqueField,
    readonly index?: number,
  ) {
    super(`${field} is already taken`);
  }
}

export interface UserStore {
  get(id: string): Promise<StoredUser | undefined>;

  /** Case-insensitive lookup, for login. */
  findByUsername(username: string): Promise<StoredUser | undefined>;

  /** Throws DuplicateUserError when the username or email is taken. */
  create(user: StoredUser): Promise<void>;

  /**
   * Inserts every user in one transaction: all or none. Throws DuplicateUserError
   * (with the batch index) for a clash with a stored user or within the batch.
   */
  createMany(users: readonly StoredUser[]): Promise<void>;

  /** Returns the updated user, or undefined when no user has this id. */
  update(id: string, patch: UserPatch): Promise<StoredUser | undefined>;

  /** Returns false when no user has this id. */
  delete(id: string): Promise<boolean>;

  /**
   * Up to `limit` (at least 1) users strictly after `after` (or from the start), ordered by
   * createdAt, then id. Callers page through large tables with repeated calls,
   * so a backend never has to hold a cursor open between them.
   */
  listPage(after: UserCursor | undefined, limit: number): Promise<StoredUser[]>;

  /**
   * Resolves when the backend can serve calls now; rejects, with the reason,
   * when it cannot (unreachable, closed). Cheap enough for health checks to
   * call every few seconds.
   */
  ping(): Promise<void>;

  /** Releases the backend's resources; the store is unusable afterwards. */
  close(): Promise<void>;
}
