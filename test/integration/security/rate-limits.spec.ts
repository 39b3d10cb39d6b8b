/**
 * Rate limits over a real port: Login per client address (against password
 * guessing), calls without a token per address, calls with one per user.
 * A refused call is RESOURCE_EXHAUSTED with a retry-after header (seconds).
 *
 * Other client addresses are real: clients bind to 127.0.0.2 and 127.0.0.3,
 * which reach the server's 127.0.0.1 over loopback on Linux.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, describe, it } from "node:test";
import { Code, ConnectError, createClient, type Client } from "@connectrpc/connect";
import { AuthService } from "../../../gen/auth/v1/auth_pb.js";
import { UserService, type User } from "../../../gen/user/v1/user_pb.js";
import { assertConnectError } from "../../support/assert-connect-error.js";
import { createLogCapture, type LogCapture } from "../../support/log-capture.js";
import { protocolTransports, type ProtocolTransport } from "../../support/protocol-transports.js";
import { bearer, startServer, type TestServer } from "../../support/start-server.js";

const LOGIN_RPC = "auth.v1.AuthService/Login";

const servers: TestServer[] = [];

after(() => Promise.all(servers.map((server) => server.close())));

async function start(env: Record<string, string>, log?: LogCapture): Promise<TestServer> {
  const server = await startServer({
    env: { LOG_LEVEL: log === undefined ? "silent" : "warn", ...env },
    logStream: log?.stream,
  });
  servers.push(server);
  return server;
}

interface Caller {
  readonly auth: Client<typeof AuthService>;
  readonly users: Client<typeof UserService>;
}

/** Clients calling from `localAddress` (127.0.0.1 by default), with `token` when given. */
function callerAt(row: ProtocolTransport, server: TestServer, localAddress = "127.0.0.1", token?: string): Caller {
  const transport = row.create(server.baseUrl, { localAddress, interceptors: token === undefined ? [] : [bearer(token)] });
  return { auth: createClient(AuthService, transport), users: createClient(UserService, transport) };
}

/** Signs a user up from an address the tests do not otherwise use, so no limit of theirs is spent. */
async function signUp(row: ProtocolTransport, server: TestServer): Promise<{ user: User; password: string }> {
  const name = `u${randomUUID().slice(0, 8)}`;
  const password = `pw-${randomUUID()}`;
  const user = await callerAt(row, server, "127.0.0.9").users.createUser({ username: name, email: `${name}@example.com`, password });
  return { user, password };
}

/** The code of each outcome, "OK" for a success. */
async function codesOf(calls: readonly Promise<unknown>[]): Promise<string[]> {
  const outcomes = await Promise.allSettled(calls);
  return outcomes.map((outcome) => (outcome.status === "fulfilled" ? "OK" : Code[ConnectError.from(outcome.reason).code]));
}

function countOf(codes: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const code of codes) {
    counts[code] = (counts[code] ?? 0) + 1;
  }
  return counts;
}

/** RESOURCE_EXHAUSTED saying when to retry, in the message and in a retry-after header of whole seconds. */
async function assertRateLimited(call: Promise<unknown>, maxRetryAfterSeconds: number): Promise<void> {
  const error = await assertConnectError(call, Code.ResourceExhausted, /^too many calls: retry in \d+ s$/);
  const retryAfter = Number(error.metadata.get("retry-after"));
  assert.ok(
    Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= maxRetryAfterSeconds,
    `retry-after: ${error.metadata.get("retry-after")}`,
  );
}

for (const row of protocolTransports) {
  describe(`rate limits over ${row.name}`, { timeout: 30_000 }, () => {
    describe("Login with RATE_LIMIT_LOGIN=10/min", () => {
      it("refuses 50 rapid failed logins past the 10th with RESOURCE_EXHAUSTED, then the right password too", async () => {
        const log = createLogCapture();
        const server = await start({ RATE_LIMIT_LOGIN: "10/min" }, log);
        const { user, password } = await signUp(row, server);
        const attacker = callerAt(row, server);

        const codes = await codesOf(
          Array.from({ length: 50 }, (_, i) => attacker.auth.login({ username: user.username, password: `guess-${i}` })),
        );

        assert.deepEqual(countOf(codes), { Unauthenticated: 10, ResourceExhausted: 40 });
        // One token comes back every 6 s.
        await assertRateLimited(attacker.auth.login({ username: user.username, password }), 6);
        const refusals = log.records().filter((r) => r.event === "rate_limited");
        assert.equal(refusals.length, 41);
        for (const refusal of refusals) {
          assert.equal(refusal.rpc, LOGIN_RPC);
          assert.equal(refusal.peer, "127.0.0.1");
        }
      });

      it("lets a client at another address log in while one address is limited", async () => {
        const server = await start({ RATE_LIMIT_LOGIN: "10/min" });
        const { user, password } = await signUp(row, server);
        const attacker = callerAt(row, server, "127.0.0.1");
        await codesOf(Array.from({ length: 20 }, () => attacker.auth.login({ username: user.username, password: "wrong-password" })));
        await assertRateLimited(attacker.auth.login({ username: user.username, password }), 6);

        const { accessToken } = await callerAt(row, server, "127.0.0.2").auth.login({ username: user.username, password });

        const seen = await callerAt(row, server, "127.0.0.2", accessToken).users.getUser({ id: user.id });
        assert.equal(seen.id, user.id);
      });

      it("keys on the connection's address, not on an X-Forwarded-For the client wrote (TRUST_PROXY off)", async () => {
        const server = await start({ RATE_LIMIT_LOGIN: "10/min" });
        const { user } = await signUp(row, server);
        const attacker = callerAt(row, server);

        const codes = await codesOf(
          Array.from({ length: 15 }, (_, i) =>
            attacker.auth.login(
              { username: user.username, password: "wrong-password" },
              { headers: { "x-forwarded-for": `203.0.113.${i + 1}` } },
            ),
          ),
        );

        assert.deepEqual(countOf(codes), { Unauthenticated: 10, ResourceExhausted: 5 });
      });

      it("keys on the X-Forwarded-For client address with TRUST_PROXY=true", async () => {
        const log = createLogCapture();
        const server = await start({ RATE_LIMIT_LOGIN: "10/min", TRUST_PROXY: "true" }, log);
        const { user } = await signUp(row, server);
        const proxy = callerAt(row, server);
        const from = (client: string) => ({ headers: { "x-forwarded-for": client } });
        const wrong = { username: user.username, password: "wrong-password" };

        const codes = await codesOf(Array.from({ length: 11 }, () => proxy.auth.login(wrong, from("203.0.113.1"))));
        assert.deepEqual(countOf(codes), { Unauthenticated: 10, ResourceExhausted: 1 });

        await assertConnectError(proxy.auth.login(wrong, from("203.0.113.2")), Code.Unauthenticated);
        assert.deepEqual(
          log.records().filter((r) => r.event === "rate_limited").map((r) => r.peer),
          ["203.0.113.1"],
        );
      });
    });

    describe("calls without a token with RATE_LIMIT_ANONYMOUS=3/min", () => {
      it("refuses the 4th sign-up from one address, while another address and signed-in calls go on", async () => {
        const server = await start({ RATE_LIMIT_ANONYMOUS: "3/min" });
        const anonymous = callerAt(row, server);
        const signUpAs = (caller: Caller, name: string) =>
          caller.users.createUser({ username: name, email: `${name}@example.com`, password: "password-123" });
        for (const name of ["anon1", "anon2", "anon3"]) {
          await signUpAs(anonymous, name);
        }

        // 20 min to earn a whole sign-up back at 3/min.
        await assertRateLimited(signUpAs(anonymous, "anon4"), 20);
        await signUpAs(callerAt(row, server, "127.0.0.2"), "anon5");
        const first = await server.store.findByUsername("anon1");
        const token = await server.tokenFor({ userId: first!.id, roles: ["user"] });
        assert.equal((await callerAt(row, server, "127.0.0.1", token).users.getUser({ id: first!.id })).username, "anon1");
      });
    });

    describe("calls with a token with RATE_LIMIT_USER=5/min", () => {
      it("refuses a user's 6th call from any address, while another user goes on", async () => {
        const server = await start({ RATE_LIMIT_USER: "5/min" });
        const { user: alice } = await signUp(row, server);
        const { user: bob } = await signUp(row, server);
        const aliceToken = await server.tokenFor({ userId: alice.id, roles: ["user"] });
        const bobToken = await server.tokenFor({ userId: bob.id, roles: ["user"] });
        const aliceHere = callerAt(row, server, "127.0.0.1", aliceToken);
        for (let i = 0; i < 5; i++) {
          await aliceHere.users.getUser({ id: alice.id });
        }

        await assertRateLimited(aliceHere.users.getUser({ id: alice.id }), 12);
        await assertRateLimited(callerAt(row, server, "127.0.0.2", aliceToken).users.getUser({ id: alice.id }), 12);
        const bobHere = callerAt(row, server, "127.0.0.1", bobToken);
        for (let i = 0; i < 5; i++) {
          assert.equal((await bobHere.users.getUser({ id: alice.id })).id, alice.id);
        }
      });
    });
  });
}
