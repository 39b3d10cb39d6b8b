/**
 * The SQLite backend as the deployed server uses it: a separate process,
 * stopped with SIGTERM and started again on the same file.
 */
import assert from "node:assert/strict";
import { Agent, request } from "node:http";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { UserService } from "../../gen/user/v1/user_pb.js";
import { loadSigningKey } from "../../server/auth/signing-key.js";
import { createTokens } from "../../server/auth/tokens.js";
import { loadConfig } from "../../server/config.js";
import { spawnServer, type SpawnedServer } from "../support/spawn-server.js";
import { bearer, TEST_JWT_SECRET } from "../support/start-server.js";

/**
 * The servers here trust tokens signed with the tests' secret (and so keep no
 * generated secret in a data folder): every RPC but CreateUser needs one.
 */
const JWT_ENV = { JWT_SECRET: TEST_JWT_SECRET };

/** The User message in the Connect JSON mapping (int64 as a string). */
interface UserJson {
  id: string;
  username: string;
  email: string;
  createdAt: string;
  roles: string[];
}

const servers = new Set<SpawnedServer>();
const tempDirs: string[] = [];
/** An admin's access token (an admin sees every user's email), valid on every server started here. */
let adminToken: string;

before(async () => {
  const config = loadConfig(JWT_ENV);
  const tokens = createTokens(loadSigningKey(config.jwt, config.dataDir), config.jwt);
  adminToken = (await tokens.issue({ userId: randomUUID(), roles: ["user", "admin"] })).accessToken;
});

after(async () => {
  await Promise.all([...servers].map((server) => server.stop("SIGKILL")));
  for (const dir of tempDirs) {
    rmSync(dir, { recursive: true, force: true });
  }
});

function freshTempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "user-persistence-"));
  tempDirs.push(dir);
  return dir;
}

async function start(env: Record<string, string>, cwd?: string): Promise<SpawnedServer> {
  const server = await spawnServer({
    // Cheap hashing: the test is about storage, not password cost.
    env: { STORAGE: "sqlite", PASSWORD_HASH_COST: "10", ...JWT_ENV, ...env },
    cwd,
  });
  servers.add(server);
  return server;
}

async function stop(server: SpawnedServer): Promise<number | null> {
  const code = await server.stop("SIGTERM");
  servers.delete(server);
  return code;
}

// The persistence checks close every connection after its request: an idle
// keep-alive connection delays the server's shutdown (see the last test).
const noKeepAlive = new Agent({ keepAlive: false });

/**
 * A unary call in the Connect protocol with JSON, as curl would make it: as
 * the admin, or with no token when `token` is null.
 */
function callJson<T>(server: SpawnedServer, method: string, body: unknown, token: string | null = adminToken): Promise<T> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (token !== null) {
    headers.authorization = `Bearer ${token}`;
  }
  return new Promise((resolve, reject) => {
    const req = request(
      `${server.baseUrl}/user.v1.UserService/${method}`,
      { method: "POST", agent: noKeepAlive, headers, timeout: 10_000 },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (text += chunk));
        res.on("end", () => {
          if (res.statusCode === 200) {
            resolve(JSON.parse(text) as T);
          } else {
            reject(new Error(`${method} answered ${res.statusCode}: ${text}`));
          }
        });
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error(`${method} timed out`)));
    req.on("error", reject);
    req.end(JSON.stringify(body));
  });
}

async function createUsers(server: SpawnedServer, count: number): Promise<UserJson[]> {
  const users: UserJson[] = [];
  for (let i = 0; i < count; i++) {
    users.push(
      // Sign-up needs no token.
      await callJson<UserJson>(
        server,
        "CreateUser",
        { username: `keeper_${i}`, email: `keeper.${i}@example.com`, password: `correct horse ${i}` },
        null,
      ),
    );
  }
  return users;
}

/** Every user, over a generated client, in the JSON shape CreateUser returned. */
async function listAll(server: SpawnedServer): Promise<UserJson[]> {
  const client = createClient(UserService, createConnectTransport({
    baseUrl: server.baseUrl,
    httpVersion: "1.1",
    nodeOptions: { agent: noKeepAlive },
    interceptors: [bearer(adminToken)],
  }));
  const users: UserJson[] = [];
  for await (const user of client.listUsers({ pageSize: 0 }, { timeoutMs: 10_000 })) {
    users.push({
      id: user.id,
      username: user.username,
      email: user.email,
      createdAt: String(user.createdAt),
      roles: [...user.roles],
    });
  }
  return users;
}

function byListingOrder(a: UserJson, b: UserJson): number {
  return Number(a.createdAt) - Number(b.createdAt) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

describe("persistence across restarts", { timeout: 120_000 }, () => {
  it("restarting the server keeps every user", async () => {
    const databasePath = join(freshTempDir(), "db", "users.sqlite");
    const first = await start({ DATABASE_PATH: databasePath });
    const created = await createUsers(first, 5);
    assert.equal(await stop(first), 0, "SIGTERM should end the server with exit code 0");

    const second = await start({ DATABASE_PATH: databasePath });
    assert.deepEqual(await listAll(second), [...created].sort(byListingOrder));
    for (const user of created) {
      assert.deepEqual(await callJson<UserJson>(second, "GetUser", { id: user.id }), user);
    }
    // Uniqueness survives the restart too: the file holds the indexes, not just the rows.
    await assert.rejects(
      callJson(second, "CreateUser", { username: "KEEPER_0", email: "other@example.com", password: "long enough" }),
      /CreateUser answered 409: .*already_exists/,
    );
    // And reading them still takes a token.
    await assert.rejects(
      callJson(second, "GetUser", { id: created[0]!.id }, null),
      /GetUser answered 401: .*unauthenticated/,
    );
    assert.equal(await stop(second), 0);
  });

  it("without DATABASE_PATH, the database is ./data/users.db under the working directory", async () => {
    const cwd = freshTempDir();
    const first = await start({ DATABASE_PATH: "" }, cwd);
    const created = await createUsers(first, 2);
    assert.equal(await stop(first), 0);
    assert.ok(statSync(join(cwd, "data", "users.db")).size > 0, "data/users.db should exist in the working directory");

    const second = await start({ DATABASE_PATH: "" }, cwd);
    assert.deepEqual(await listAll(second), [...created].sort(byListingOrder));
    assert.equal(await stop(second), 0);
  });

  it("SIGTERM stops the server promptly although a client keeps an idle HTTP/1.1 connection open", async () => {
    const server = await start({ STORAGE: "memory" });
    // fetch keeps its connection alive for reuse, as most HTTP/1.1 clients do.
    const res = await fetch(`${server.baseUrl}/user.v1.UserService/CreateUser`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: "idle_client", email: "idle@example.com", password: "long enough" }),
    });
    assert.equal(res.status, 200);
    await res.arrayBuffer();

    const started = performance.now();
    const code = await server.stop("SIGTERM");
    const elapsedMs = performance.now() - started;
    servers.delete(server);
    // stop() falls back to SIGKILL (exit code null) after 10 s.
    assert.equal(code, 0, `the server did not exit by itself within ${Math.round(elapsedMs)} ms of SIGTERM`);
    assert.ok(elapsedMs < 5_000, `shutdown took ${Math.round(elapsedMs)} ms`);
  });
});
