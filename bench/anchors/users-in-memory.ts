/**
 * The anchors that answer from memory hold the same users as the servers that
 * read SQLite: loaded once at start from the same database file, through the
 * project's storage module, into a Map keyed by id.
 */
import type { StorageConfig } from "../../server/config.js";
import { openStore } from "../../server/storage/open-store.js";
import type { StoredUser, UserCursor } from "../../server/storage/store.js";

const PAGE = 1000;

export async function loadUsersIntoMap(storage: StorageConfig): Promise<Map<string, StoredUser>> {
  const store = openStore(storage);
  const users = new Map<string, StoredUser>();
  try {
    let after: UserCursor | undefined;
    for (;;) {
      const page = await store.listPage(after, PAGE);
      for (const user of page) {
        users.set(user.id, user);
      }
      if (page.length < PAGE) {
        return users;
      }
      after = page[page.length - 1];
    }
  } finally {
    await store.close();
  }
}
