/**
 * Starts the real application on a free loopback port, in this process, for
 * integration tests. Each call gets its own server and (by default) its own
 * in-memory store.
 */
import { randomUUID } from "node:crypto";
import type { AddressInfo } from "node:net";
import type { Interceptor } from "@connectrpc/connect";
import type { BasicTracerProvider } from "@opentelemetry/sdk-trace-base";
import type { FastifyInstance } from "fastify";
import { createApp } from "../../server/app.js";
import type { Identity } from "../../server/auth/identity.js";
import { loadSigningKey } from "../../server/auth/signing-key.js";
import { createTokens } from "../../server/auth/tokens.js";
import { loadConfig } from "../../server/config.js";
import { createMemoryStore } from "../../server/storage/memory.js";
import type { UserStore } from "../../server/storage/store.js";

/** The tests' HS256 secret; servers started here trust tokens signed with it. */
export const TEST_JWT_SECRET = "test-secret-that-is-at-least-32-bytes-long";

export interface TestServer {
  readonly app: FastifyInstance;
  readonly store: UserStore;
  /** e.g. http://127.0.0.1:41234 */
  readonly baseUrl: string;
  readonly port: number;
  /** A valid access token for the identity, as Login would issue it. */
  tokenFor(identity: Identity): Promise<string>;
  /** An admin's token (for an admin id that is not in the store). */
  adminToken(): Promise<string>;
  close(): Promise<void>;
}

export interface TestServerOptions {
  readonly store?: UserStore;
  /** Extra environment, as the server would read it at start. */
  readonly env?: Record<string, string>;
  /** Receives the server's log lines (set LOG_LEVEL in env to see them). */
  readonly logStream?: NodeJS.WritableStream;
  /** Traces the server's calls (e.g. into an InMemorySpanExporter); shut down when the server closes. */
  readonly tracerProvider?: BasicTracerProvider;
}

export async function startServer(options: TestServerOptions = {}): Promise<TestServer> {
  const config = loadConfig({
    STORAGE: "memory",
    LOG_LEVEL: "silent",
    // Cheap hashing keeps tests fast; production defaults are checked elsewhere.
    PASSWORD_HASH_COST: "10",
    JWT_SECRET: TEST_JWT_SECRET,
    // Tests make many calls quickly; the rate-limit tests turn limits on.
    RATE_LIMIT_LOGIN: "off",
    RATE_LIMIT_ANONYMOUS: "off",
    RATE_LIMIT_USER: "off",
    // scripts/test.sh runs the protocol specs once more with the gRPC unary fast path off.
    UNARY_FAST_PATH: process.env.UNARY_FAST_PATH ?? "on",
    ...options.env,
  });
  const store = options.store ?? createMemoryStore();
  const app = await createApp({ config, store, logStream: options.logStream, tracerProvider: options.tracerProvider });
  await app.listen({ host: "127.0.0.1", port: 0 });
  const { port } = app.server.address() as AddressInfo;
  const tokens = createTokens(loadSigningKey(config.jwt, config.dataDir), config.jwt);
  const tokenFor = async (identity: Identity) => (await tokens.issue(identity)).accessToken;
  return {
    app,
    store,
    port,
    baseUrl: `http://127.0.0.1:${port}`,
    tokenFor,
    adminToken: () => tokenFor({ userId: randomUUID(), roles: ["user", "admin"] }),
    close: () => app.close(),
  };
}

/** A client interceptor that sends `token` as the bearer token on every call. */
export function bearer(token: string): Interceptor {
  return (next) => (req) => {
    req.header.set("authorization", `Bearer ${token}`);
    return next(req);
  };
}
