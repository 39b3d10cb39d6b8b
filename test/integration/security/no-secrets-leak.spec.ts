/**
 * Secrets never leave the server: after a representative session (sign-ups,
 * failed and successful logins, good, forged and expired tokens, denied
 * permissions, invalid input, rate limiting, an import and a chat), no
 * response a client saw and no log line, at LOG_LEVEL=trace, holds a password
 * that was sent, a stored password hash, or an access token or its signature.
 * The one exception is the token a successful Login hands its caller.
 *
 * The refusals themselves are logged, as structured security events.
 */
import assert from "node:assert/strict";
import { randomBytes, randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createWritableIterable } from "@connectrpc/connect/protocol";
import { SignJWT } from "jose";
import { AuthService } from "../../../gen/auth/v1/auth_pb.js";
import { UserService, type ChatMessageSchema, type User } from "../../../gen/user/v1/user_pb.js";
import { createLogCapture, type LogCapture, type LogRecord } from "../../support/log-capture.js";
import { protocolTransports, type ProtocolTransport } from "../../support/protocol-transports.js";
import { createResponseRecorder, type ResponseRecorder } from "../../support/response-recorder.js";
import { bearer, startServer, TEST_JWT_SECRET, type TestServer } from "../../support/start-server.js";

const LOGIN_RPC = "auth.v1.AuthService/Login";

/** A password no log line or response could hold by chance; 7 characters when `tooShort`. */
function newPassword(tooShort = false): string {
  return tooShort ? randomBytes(5).toString("base64url") : `pw-${randomBytes(12).toString("base64url")}`;
}

/** What the session sent or stored that must not come back. */
interface Secrets {
  readonly passwords: string[];
  /** Every access token sent or issued; a successful Login's own response may hold its token. */
  readonly tokens: string[];
}

interface Session {
  readonly server: TestServer;
  readonly log: LogCapture;
  readonly recorder: ResponseRecorder;
  readonly secrets: Secrets;
  readonly alice: User;
  readonly bob: User;
}

/** Runs the session over `row` against a new server, recording every answer. */
async function runSession(row: ProtocolTransport): Promise<Session> {
  const log = createLogCapture();
  const server = await startServer({
    // A login budget the session spends to the end, to be rate limited.
    env: { LOG_LEVEL: "trace", RATE_LIMIT_LOGIN: "12/min" },
    logStream: log.stream,
  });
  const recorder = createResponseRecorder();
  const secrets: Secrets = { passwords: [], tokens: [] };
  const transport = (token?: string) =>
    row.create(server.baseUrl, { interceptors: [recorder.interceptor, ...(token === undefined ? [] : [bearer(token)])] });
  const anonymous = { users: createClient(UserService, transport()), auth: createClient(AuthService, transport()) };
  const usersAs = (token: string) => createClient(UserService, transport(token));
  const password = (tooShort = false) => {
    const p = newPassword(tooShort);
    secrets.passwords.push(p);
    return p;
  };
  const token = (t: string) => {
    secrets.tokens.push(t);
    return t;
  };
  /** Calls that fail are part of the session: their answers are recorded. */
  const refused = async (call: Promise<unknown>) => {
    await assert.rejects(call, ConnectError);
  };

  // Sign-ups, good and bad.
  const alicePassword = password();
  const bobPassword = password();
  const alice = await anonymous.users.createUser({ username: "alice", email: "alice@example.com", password: alicePassword });
  const bob = await anonymous.users.createUser({ username: "bob", email: "bob@example.com", password: bobPassword });
  await refused(anonymous.users.createUser({ username: "shorty", email: "shorty@example.com", password: password(true) }));
  await refused(anonymous.users.createUser({ username: "alice", email: "alice2@example.com", password: password() }));

  // Logins, failed and successful.
  await refused(anonymous.auth.login({ username: "alice", password: password() }));
  await refused(anonymous.auth.login({ username: "nobody", password: password() }));
  await refused(anonymous.auth.login({ username: "alice", password: `${password()}${"x".repeat(1024)}` }));
  const aliceToken = token((await anonymous.auth.login({ username: "alice", password: alicePassword })).accessToken);
  const bobToken = token((await anonymous.auth.login({ username: "bob", password: bobPassword })).accessToken);
  const asAlice = usersAs(aliceToken);
  const asBob = usersAs(bobToken);

  // Calls with good, garbage, forged and expired tokens.
  await asAlice.getUser({ id: alice.id });
  for await (const _ of asAlice.listUsers({})) {
    // Read to the end: the trailers are recorded then.
  }
  await asAlice.updateUser({ id: alice.id, email: "alice@example.org" });
  await refused(usersAs(token("not-a-jwt")).getUser({ id: alice.id }));
  const now = Math.floor(Date.now() / 1000);
  const claims = { sub: alice.id, roles: ["user", "admin"], iss: "user-service", aud: "user-service" };
  const forged = await new SignJWT({ ...claims, iat: now, exp: now + 600 })
    .setProtectedHeader({ alg: "HS256" })
    .sign(new TextEncoder().encode(`not-the-${TEST_JWT_SECRET}`));
  await refused(usersAs(token(forged)).getUser({ id: alice.id }));
  const expired = await new SignJWT({ ...claims, iat: now - 7200, exp: now - 3600 })
    .setProtectedHeader({ alg: "HS256" })
    .sign(new TextEncoder().encode(TEST_JWT_SECRET));
  await refused(usersAs(token(expired)).getUser({ id: alice.id }));

  // Denied permissions and invalid input from a signed-in user.
  await refused(asBob.deleteUser({ id: alice.id }));
  await refused(asBob.updateUser({ id: bob.id, roles: ["admin"] }));
  await refused(asBob.getUser({ id: "42" }));
  await refused(asBob.updateUser({ id: bob.id, email: "not an email" }));

  // An import, and one that fails at a bad entry.
  const entries = (bad: boolean) =>
    (async function* () {
      yield { username: `imp_${randomUUID().slice(0, 6)}`, email: `${randomUUID()}@example.com`, password: password() };
      yield { username: `imp_${randomUUID().slice(0, 6)}`, email: `${randomUUID()}@example.com`, password: password(bad) };
    })();
  await asAlice.createUsers(entries(false));
  await refused(asAlice.createUsers(entries(true)));

  if (row.fullDuplex) {
    const outbox = createWritableIterable<MessageInitShape<typeof ChatMessageSchema>>();
    const call = new AbortController();
    const inbox = asAlice.chat(outbox, { signal: call.signal })[Symbol.asyncIterator]();
    await outbox.write({ userId: bob.id, text: "hello" });
    await inbox.next();
    outbox.close();
    call.abort();
    await inbox.next().catch(() => undefined);
  }

  // Raw Connect calls, as curl or a browser would make them.
  const fetchJson = async (path: string, body: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${server.baseUrl}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(5_000),
    });
    const text = await res.text();
    recorder.recordRaw(`fetch ${path} ${res.status}`, res.headers, text);
    return { status: res.status, text };
  };
  await fetchJson("/auth.v1.AuthService/Login", { username: "bob", password: password() });
  await fetchJson("/user.v1.UserService/CreateUser", { username: "raw", email: "raw@example.com", password: password(true) });
  await fetchJson("/user.v1.UserService/GetUser", { id: alice.id }, { authorization: `Bearer ${expired}` });
  const rawLogin = await fetchJson("/auth.v1.AuthService/Login", { username: "bob", password: bobPassword });
  assert.equal(rawLogin.status, 200);
  token((JSON.parse(rawLogin.text) as { accessToken: string }).accessToken);

  // Guess until the login limit refuses.
  for (let attempt = 0; ; attempt++) {
    assert.ok(attempt < 20, "the login limit never refused");
    try {
      await anonymous.auth.login({ username: "bob", password: password() });
    } catch (e) {
      if (ConnectError.from(e).code === Code.ResourceExhausted) {
        break;
      }
    }
  }

  return { server, log, recorder, secrets, alice, bob };
}

/** The stored password hashes, and their salt and key parts on their own. */
async function storedHashParts(session: Session): Promise<string[]> {
  const users = await session.server.store.listPage(undefined, 1_000);
  assert.ok(users.length >= 4, "the session stored its users");
  return users.flatMap((user) => {
    const parts = user.passwordHash.split("$");
    assert.equal(parts.length, 6, `unexpected hash format ${parts[0]}`);
    return [user.passwordHash, parts[4]!, parts[5]!];
  });
}

/** A token, and its signature on its own (what forging another token would need). */
function tokenParts(token: string): string[] {
  const signature = token.split(".")[2];
  return signature === undefined || signature.length < 16 ? [token] : [token, signature];
}

function assertNoneIn(haystacks: readonly { where: string; text: string }[], needles: readonly string[], what: string): void {
  assert.ok(haystacks.length > 0, "nothing was recorded");
  for (const needle of needles) {
    const found = haystacks.find((h) => h.text.includes(needle));
    assert.equal(found, undefined, `${what} "${needle.slice(0, 12)}…" found in ${found?.where}: ${found?.text.slice(0, 300)}`);
  }
}

function isIssuedToken(response: { where: string }): boolean {
  return response.where === `${LOGIN_RPC} message` || /^fetch \/auth\.v1\.AuthService\/Login 200 body$/.test(response.where);
}

for (const row of protocolTransports) {
  describe(`no secrets leak over ${row.name}`, { timeout: 60_000 }, () => {
    let session: Session;
    let logLines: { where: string; text: string }[];

    before(async () => {
      session = await runSession(row);
      logLines = session.log.lines().map((text, i) => ({ where: `log line ${i + 1}`, text }));
    });

    after(() => session?.server.close());

    it("records answers and trace-level log lines to search", () => {
      assert.ok(session.recorder.responses.length > 50, `${session.recorder.responses.length} responses`);
      assert.ok(logLines.length > 10, `${logLines.length} log lines`);
      // The search would find a secret: the issued tokens are there, where allowed.
      const [aliceToken] = session.secrets.tokens;
      assert.ok(session.recorder.responses.some((r) => isIssuedToken(r) && r.text.includes(aliceToken!)));
    });

    it("sends no password back, in any header, message, trailer or error", () => {
      assertNoneIn(session.recorder.responses, session.secrets.passwords, "password");
    });

    it("logs no password", () => {
      assertNoneIn(logLines, session.secrets.passwords, "password");
    });

    it("sends no stored password hash, salt or key", async () => {
      assertNoneIn(session.recorder.responses, await storedHashParts(session), "password hash");
    });

    it("logs no stored password hash, salt or key", async () => {
      assertNoneIn(logLines, await storedHashParts(session), "password hash");
    });

    it("sends no access token or signature back, but in the answer of the Login that issued it", () => {
      assertNoneIn(
        session.recorder.responses.filter((r) => !isIssuedToken(r)),
        session.secrets.tokens.flatMap(tokenParts),
        "access token",
      );
    });

    it("logs no access token or signature", () => {
      assertNoneIn(logLines, session.secrets.tokens.flatMap(tokenParts), "access token");
    });

    describe("the security log", () => {
      const events = (event: string, rpc?: string): LogRecord[] =>
        session.log.records().filter((r) => r.event === event && (rpc === undefined || r.rpc === rpc));

      it("has a structured line for each failed login, with the client's address", () => {
        const failed = events("unauthenticated", LOGIN_RPC);
        // Wrong password, unknown user, one raw, and the guesses before the limit.
        assert.ok(failed.length >= 4, `${failed.length} failed logins logged`);
        for (const line of failed) {
          assert.equal(line.reason, "invalid username or password");
          assert.equal(line.peer, "127.0.0.1");
          assert.equal(line.level, 40, "a warning");
        }
      });

      it("has a structured line for each refused token", () => {
        const refused = events("unauthenticated", "user.v1.UserService/GetUser");
        assert.deepEqual(
          refused.map((line) => String(line.reason).replace(/:.*/, "")),
          ["token is malformed", "token signature is invalid", "token expired", "token expired"],
        );
      });

      it("has a structured line for each denied permission, naming the caller", () => {
        const denied = events("permission_denied");
        assert.deepEqual(
          denied.map((line) => [line.rpc, line.userId]),
          [
            ["user.v1.UserService/DeleteUser", session.bob.id],
            ["user.v1.UserService/UpdateUser", session.bob.id],
          ],
        );
      });

      it("has a structured line for the rate-limited login", () => {
        const limited = events("rate_limited", LOGIN_RPC);
        assert.equal(limited.length, 1);
        assert.equal(limited[0]!.peer, "127.0.0.1");
      });
    });
  });
}
