/**
 * Starts the real application on a free loopback port, in this process, for
 * integration tests. Each call gets its own server and (by default) its own
 * in-memory store.
 */
import type { AddressInfo } from "node:net";
import type { FastifyInstance } from "fastify";
import { createApp } from "../../server/app.js";
import { loadConfig } from "../../server/config.js";
import { createMemoryStore } from "../../server/storage/memory.js";
import type { UserStore } from "../../server/storage/store.js";

export interface TestServer {
  readonly app: FastifyInstance;
  readonly store: UserStore;
  /** e.g. http://127.0.0.1:41234 */
  readonly baseUrl: string;
  readonly port: number;
  close(): Promise<void>;
}

export interface TestServerOptions {
  readonly store?: UserStore;
  /** Extra environment, as the server would read it at start. */
  readonly env?: Record<string, string>;
}

export async function startServer(options: TestServerOptions = {}): Promise<TestServer> {
  const config = loadConfig({
    STORAGE: "memory",
    LOG_LEVEL: "silent",
    // Cheap hashing keeps tests fast; production defaults are checked elsewhere.
    PASSWORD_HASH_COST: "10",
    ...options.env,
  });
  const store = options.store ?? createMemoryStore();
  const app = await createApp({ config, store });
  await app.listen({ host: "127.0.0.1", port: 0 });
  const { port } = app.server.address() as AddressInfo;
  return {
    app,
    store,
    port,
    baseUrl: `http://127.0.0.1:${port}`,
    close: () => app.close(),
  };
}
