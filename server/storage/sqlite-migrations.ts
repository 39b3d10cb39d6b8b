/**
 * The SQLite schema as an append-only list of migrations: version N is
 * `migrations[N - 1]`. Never edit a migration that has shipped; add one.
 */
import type Database from "better-sqlite3";

const migrations: readonly string[] = [
  // 1: users. Uniqueness is case-insensitive through indexes on lower(...),
  // named after their field so that sqlite.ts can tell which one clashed.
  `
  CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    username      TEXT NOT NULL,
    email         TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    roles         TEXT NOT NULL -- JSON array of strings
  );
  CREATE UNIQUE INDEX users_username_lower ON users (lower(username));
  CREATE UNIQUE INDEX users_email_lower ON users (lower(email));
  -- Keyset paging: listPage seeks to (created_at, id) instead of scanning.
  CREATE INDEX users_created_at_id ON users (created_at, id);
  `,
];

/** Brings the schema up to date, applying each missing migration once. */
export function applyMigrations(db: Database.Database): void {
  db.exec(`
    CREATE TABLE IF NOT EXISTS schema_migrations (
      version    INTEGER PRIMARY KEY,
      applied_at INTEGER NOT NULL
    )
  `);
  const findApplied = db.prepare<[number], { version: number }>(
    "SELECT version FROM schema_migrations WHERE version = ?",
  );
  const recordApplied = db.prepare<[number, number]>(
    "INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)",
  );
  // One transaction per migration, so a failing one leaves the schema at the
  // previous version rather than half-changed.
  const apply = db.transaction((version: number, sql: string) => {
    if (findApplied.get(version) !== undefined) {
      return;
    }
    db.exec(sql);
    recordApplied.run(version, Math.floor(Date.now() / 1000));
  });
  migrations.forEach((sql, i) => {
    // IMMEDIATE takes the write lock before the check above, so two processes
    // opening the same file at once cannot both apply a migration.
    apply.immediate(i + 1, sql);
  });
}
