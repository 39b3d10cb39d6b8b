/**
 * Closing the server does not wait forever on streams that never end: after
 * the grace period they end with UNAVAILABLE and the port closes. On SIGTERM
 * the real process lets a unary call in flight finish, ends a stream that a
 * slow client is still reading with UNAVAILABLE, and exits 0.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createWritableIterable } from "@connectrpc/connect/protocol";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { UserService, type ChatMessageSchema } from "../../gen/user/v1/user_pb.js";
import { loadSigningKey } from "../../server/auth/signing-key.js";
import { createTokens } from "../../server/auth/tokens.js";
import { loadConfig } from "../../server/config.js";
import { createSqliteStore } from "../../server/storage/sqlite.js";
import { spawnServer, type SpawnedServer } from "../support/spawn-server.js";
import { bearer, startServer, TEST_JWT_SECRET } from "../support/start-server.js";

/** Bounds every call, so a server that never ends a stream fails the test instead of hanging it. */
const CALL_TIMEOUT_MS = 10_000;

describe("shutdown", { timeout: 30_000 }, () => {
  it("ends open Chat streams with UNAVAILABLE after the grace period and closes", async () => {
    const server = await startServer({ env: { SHUTDOWN_GRACE_MS: "300" } });
    // Chat needs a signed-in member.
    const interceptors = [bearer(await server.tokenFor({ userId: randomUUID(), roles: ["user"] }))];
    const transports = [
      createGrpcTransport({ baseUrl: server.baseUrl, interceptors }),
      createConnectTransport({ baseUrl: server.baseUrl, httpVersion: "2", interceptors }),
    ];
    const outcomes = transports.map(async (transport) => {
      const requests = createWritableIterable<MessageInitShape<typeof ChatMessageSchema>>();
      const responses = createClient(UserService, transport)
        .chat(requests, { timeoutMs: CALL_TIMEOUT_MS })
        [Symbol.asyncIterator]();
      await requests.write({ text: "hello" });
      await responses.next();
      // Keep the stream open (never close `requests`) and read until it ends.
      try {
        while (!(await responses.next()).done);
      } catch (e) {
        return ConnectError.from(e);
      }
      return assert.fail("the stream should have failed");
    });
    // Both streams are open once each got its first message back.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const started = Date.now();
    await server.close();
    const elapsed = Date.now() - started;
    for (const error of await Promise.all(outcomes)) {
      assert.equal(error.code, Code.Unavailable);
      assert.match(error.rawMessage, /shutting down/);
    }
    assert.ok(elapsed < 5_000, `close took ${elapsed} ms`);
  });

  it("lets a keep-alive HTTP/1.1 connection close with the server", async () => {
    const server = await startServer();
    const response = await fetch(`${server.baseUrl}/user.v1.UserService/GetUser`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${await server.adminToken()}` },
      body: JSON.stringify({ id: randomUUID() }),
      signal: AbortSignal.timeout(CALL_TIMEOUT_MS),
    });
    // The call reached the service (an unknown id), not just the auth check.
    assert.equal(response.status, 404);
    await response.text();
    const started = Date.now();
    await server.close();
    assert.ok(Date.now() - started < 2_000);
  });
});

describe("shutdown on SIGTERM (a separate process)", { timeout: 60_000 }, () => {
  /** Far more than the reader below gets through before the grace period ends. */
  const USERS = 20_000;
  const GRACE_MS = 2_000;
  let dir: string;
  let databasePath: string;
  let server: SpawnedServer | undefined;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "shutdown-"));
    databasePath = join(dir, "users.db");
    const store = createSqliteStore({ path: databasePath });
    // Straight into storage, with no password hashing: only the listing matters.
    await store.createMany(
      Array.from({ length: USERS }, (_, i) => ({
        id: randomUUID(),
        username: `listed_${i}`,
        email: `listed.${i}@example.com`,
        passwordHash: "scrypt$dummy",
        createdAt: 1_500_000_000 + i,
        roles: ["user"],
      })),
    );
    await store.close();
  });

  after(async () => {
    await server?.stop("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  });

  it("ends a slowly read ListUsers stream with UNAVAILABLE, lets an in-flight CreateUser finish, and exits 0", async (t) => {
    server = await spawnServer({
      env: {
        STORAGE: "sqlite",
        DATABASE_PATH: databasePath,
        JWT_SECRET: TEST_JWT_SECRET,
        SHUTDOWN_GRACE_MS: String(GRACE_MS),
        // A hash of some hundreds of milliseconds keeps CreateUser running when the signal comes.
        PASSWORD_HASH_COST: "17",
      },
    });
    const config = loadConfig({ JWT_SECRET: TEST_JWT_SECRET });
    const { accessToken } = await createTokens(loadSigningKey(config.jwt, config.dataDir), config.jwt).issue({
      userId: randomUUID(),
      roles: ["user"],
    });
    // One HTTP/2 connection for both calls: it is open before the signal, so
    // CreateUser reaches the server at once.
    const client = createClient(UserService, createGrpcTransport({ baseUrl: server.baseUrl, interceptors: [bearer(accessToken)] }));

    const users = client.listUsers({ pageSize: 0 }, { timeoutMs: 30_000 })[Symbol.asyncIterator]();
    assert.equal((await users.next()).done, false);
    let received = 1;
    const streamEnd = (async () => {
      try {
        // About 750 users a second: the server could send them far faster,
        // so some thousand messages are on their way to this reader when the
        // grace period ends, and it takes seconds to reach the UNAVAILABLE
        // behind them. The server must keep the connection that long.
        while (!(await users.next()).done) {
          if (++received % 15 === 0) {
            await sleep(20);
          }
        }
      } catch (e) {
        return { error: ConnectError.from(e), at: Date.now() };
      }
      return assert.fail(`the stream ended without an error after ${received} users`);
    })();
    const created = client
      .createUser({ username: "in_flight", email: "in_flight@example.com", password: "correct horse" }, { timeoutMs: 30_000 })
      .then((user) => ({ user, at: Date.now() }));

    await sleep(100);
    const signalled = Date.now();
    process.kill(server.pid, "SIGTERM");

    const { user, at: createdAt } = await created;
    assert.equal(user.username, "in_flight");
    assert.ok(createdAt > signalled, "CreateUser was still running when the signal came");
    const { error, at: endedAt } = await streamEnd;
    t.diagnostic(`${received} users read, the stream ended ${endedAt - signalled} ms after the signal`);
    assert.equal(Code[error.code], Code[Code.Unavailable], error.message);
    assert.equal(error.rawMessage, "the server is shutting down: retry the call");
    assert.ok(endedAt - signalled >= GRACE_MS, `the stream ended ${endedAt - signalled} ms after the signal`);
    assert.ok(received < USERS, `${received} users read`);
    assert.equal(await server.exited, 0);

    // The user created during the shutdown was stored before storage closed.
    const store = createSqliteStore({ path: databasePath });
    try {
      assert.equal((await store.findByUsername("in_flight"))?.id, user.id);
    } finally {
      await store.close();
    }
  });
});
