import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import Database from "better-sqlite3";
import { createSqliteStore } from "../sqlite.js";
import { describeStoreContract } from "./store-contract.js";

const tempDirs: string[] = [];

/**
 * A database path in a fresh temp dir, one level down so that every test also
 * exercises the creation of a missing parent directory.
 */
function freshDatabasePath(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "user-store-sqlite-"));
  tempDirs.push(dir);
  return path.join(dir, "data", "users.sqlite");
}

after(() => {
  for (const dir of tempDirs) {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

describeStoreContract("sqlite", () => createSqliteStore({ path: freshDatabasePath() }));

describe("sqlite store", () => {
  const alice = {
    id: "6f1c2a52-8f0e-4b4e-9a57-3c1d2b7e9a10",
    username: "alice",
    email: "alice@example.com",
    passwordHash: "hash",
    createdAt: 1_700_000_000,
    roles: ["admin"],
  };

  it("keeps users across closing and reopening the file", async () => {
    const file = freshDatabasePath();
    const store = createSqliteStore({ path: file });
    await store.create(alice);
    await store.close();

    const reopened = createSqliteStore({ path: file });
    try {
      assert.deepEqual(await reopened.get(alice.id), alice);
    } finally {
      await reopened.close();
    }
  });

  it("applies each migration once, however often the file is opened", async () => {
    const file = freshDatabasePath();
    await createSqliteStore({ path: file }).close();
    const applied = readSchemaMigrations(file);
    await createSqliteStore({ path: file }).close();

    assert.deepEqual(readSchemaMigrations(file), applied);
    assert.ok(applied.length > 0);
    assert.deepEqual(
      applied.map((row) => row.version),
      applied.map((_, i) => i + 1),
    );
  });

  it("uses write-ahead logging", async () => {
    const file = freshDatabasePath();
    const store = createSqliteStore({ path: file });
    try {
      const db = new Database(file, { readonly: true });
      try {
        assert.equal(db.pragma("journal_mode", { simple: true }), "wal");
      } finally {
        db.close();
      }
    } finally {
      await store.close();
    }
  });

  it("works on an in-memory database", async () => {
    const store = createSqliteStore({ path: ":memory:" });
    try {
      await store.create(alice);
      assert.deepEqual(await store.findByUsername("ALICE"), alice);
    } finally {
      await store.close();
    }
  });
});

function readSchemaMigrations(file: string): { version: number; applied_at: number }[] {
  const db = new Database(file, { readonly: true });
  try {
    return db
      .prepare<[], { version: number; applied_at: number }>(
        "SELECT version, applied_at FROM schema_migrations ORDER BY version",
      )
      .all();
  } finally {
    db.close();
  }
}
