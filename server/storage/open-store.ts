/** Opens the storage backend the configuration names. */
import type { StorageConfig } from "../config.js";
import { createMemoryStore } from "./memory.js";
import { createSqliteStore } from "./sqlite.js";
import type { UserStore } from "./store.js";

export function openStore(config: StorageConfig): UserStore {
  switch (config.kind) {
    case "memory":
      return createMemoryStore();
    case "sqlite":
      return createSqliteStore({ path: config.path });
  }
}
