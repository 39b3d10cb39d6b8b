/**
 * Authentication over a real port: which bearer tokens the server refuses and
 * what it says about each, how Login answers right and wrong credentials (and
 * how fast), and the two ways of signing tokens: HS256 with a configured or a
 * generated secret, and ES256 with a key file.
 *
 * Tokens are forged with jose, as an attacker would: unsigned, signed with the
 * wrong key or algorithm, or with claims for another service.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createPublicKey, generateKeyPairSync, randomUUID, type KeyObject } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Code, createClient, type Client } from "@connectrpc/connect";
import { decodeJwt, decodeProtectedHeader, jwtVerify, SignJWT, type JWTPayload } from "jose";
import { AuthService } from "../../../gen/auth/v1/auth_pb.js";
import { UserService, type User } from "../../../gen/user/v1/user_pb.js";
import { createSqliteStore } from "../../../server/storage/sqlite.js";
import { assertConnectError } from "../../support/assert-connect-error.js";
import { protocolTransports, type ProtocolTransport } from "../../support/protocol-transports.js";
import { startServer, TEST_JWT_SECRET, type TestServer } from "../../support/start-server.js";

/** The server's default issuer and audience (JWT_ISSUER, JWT_AUDIENCE). */
const SERVICE_NAME = "user-service";
/** Beyond the server's clock tolerance (30 s) in either direction. */
const AN_HOUR = 3600;

const tempDirs: string[] = [];

after(() => {
  for (const dir of tempDirs) {
    rmSync(dir, { recursive: true, force: true });
  }
});

function freshTempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "user-auth-"));
  tempDirs.push(dir);
  return dir;
}

interface Clients {
  readonly users: Client<typeof UserService>;
  readonly auth: Client<typeof AuthService>;
}

function clientsFor(row: ProtocolTransport, server: TestServer): Clients {
  const transport = row.create(server.baseUrl);
  return { users: createClient(UserService, transport), auth: createClient(AuthService, transport) };
}

/** Signs up a user and returns it with the password it was given. */
async function signUp(clients: Clients, name = `u${randomUUID().slice(0, 8)}`): Promise<{ user: User; password: string }> {
  const password = `pw-${randomUUID()}`;
  const user = await clients.users.createUser({ username: name, email: `${name}@example.com`, password });
  return { user, password };
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** The claims the server issues, for `sub`, valid now. */
function validClaims(sub: string): JWTPayload {
  const now = nowSeconds();
  return { sub, roles: ["user"], iss: SERVICE_NAME, aud: SERVICE_NAME, iat: now, nbf: now, exp: now + 600 };
}

type SigningKey = Uint8Array | KeyObject;

function sign(claims: JWTPayload, alg: string, key: SigningKey): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg, typ: "JWT" }).sign(key);
}

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

/** An unsigned token (RFC 7519, 6.1): header, claims and an empty signature. */
function unsecuredToken(claims: JWTPayload): string {
  return `${base64url({ alg: "none", typ: "JWT" })}.${base64url(claims)}.`;
}

const testSecret = new TextEncoder().encode(TEST_JWT_SECRET);

/** A refused credential: the authorization header to send (none when undefined) and the expected message. */
interface BadCredential {
  readonly name: string;
  readonly authorization: (sub: string) => Promise<string | undefined>;
  readonly message: RegExp;
}

const bearer = async (token: string | Promise<string>) => `Bearer ${await token}`;

const refusedByAnHs256Server: readonly BadCredential[] = [
  { name: "no authorization header", authorization: async () => undefined, message: /^missing access token/ },
  { name: `"Bearer" without a token`, authorization: async () => "Bearer", message: /^malformed authorization header/ },
  { name: "a Basic authorization header", authorization: async () => "Basic dXNlcjpwYXNz", message: /^malformed authorization header/ },
  { name: "a token that is not a JWT", authorization: () => bearer("not-a-jwt"), message: /^token is malformed/ },
  {
    name: "an expired token",
    authorization: (sub) =>
      bearer(sign({ ...validClaims(sub), iat: nowSeconds() - 2 * AN_HOUR, exp: nowSeconds() - AN_HOUR }, "HS256", testSecret)),
    message: /^token expired/,
  },
  {
    name: "a token signed with another secret",
    authorization: (sub) => bearer(sign(validClaims(sub), "HS256", new TextEncoder().encode(`another-${TEST_JWT_SECRET}`))),
    message: /^token signature is invalid$/,
  },
  {
    name: "an unsigned token (alg: none)",
    authorization: (sub) => bearer(unsecuredToken(validClaims(sub))),
    message: /^token algorithm is not accepted$/,
  },
  {
    name: "a token with the signature of another token",
    authorization: async (sub) => {
      const [header, , signature] = (await sign(validClaims(sub), "HS256", testSecret)).split(".");
      return bearer(`${header}.${base64url({ ...validClaims(sub), roles: ["user", "admin"] })}.${signature}`);
    },
    message: /^token signature is invalid$/,
  },
  {
    name: "a token for another audience",
    authorization: (sub) => bearer(sign({ ...validClaims(sub), aud: "billing-service" }, "HS256", testSecret)),
    message: /^token claim "aud" is invalid/,
  },
  {
    name: "a token from another issuer",
    authorization: (sub) => bearer(sign({ ...validClaims(sub), iss: "someone-else" }, "HS256", testSecret)),
    message: /^token claim "iss" is invalid/,
  },
  {
    name: "a token not valid before an hour from now (nbf)",
    authorization: (sub) => bearer(sign({ ...validClaims(sub), nbf: nowSeconds() + AN_HOUR }, "HS256", testSecret)),
    message: /^token claim "nbf" is invalid/,
  },
  {
    name: "a token that never expires (no exp)",
    authorization: (sub) => bearer(sign({ ...validClaims(sub), exp: undefined }, "HS256", testSecret)),
    message: /^token claim "exp" is invalid: missing$/,
  },
  {
    name: "a token without a subject",
    authorization: (sub) => bearer(sign({ ...validClaims(sub), sub: undefined }, "HS256", testSecret)),
    message: /^token claim "sub" is invalid: missing$/,
  },
  {
    name: "a token whose roles are not a list of strings",
    authorization: (sub) => bearer(sign({ ...validClaims(sub), roles: "admin" }, "HS256", testSecret)),
    message: /^token claims are malformed/,
  },
];

for (const row of protocolTransports) {
  describe(`authentication over ${row.name}`, { timeout: 30_000 }, () => {
    let server: TestServer;
    let clients: Clients;
    let self: User;

    before(async () => {
      server = await startServer({ env: { JWT_LIFETIME_SECONDS: "900" } });
      clients = clientsFor(row, server);
      ({ user: self } = await signUp(clients));
    });

    after(() => server.close());

    describe("a call to a protected method", () => {
      it("succeeds with a token the server issued", async () => {
        const token = await server.tokenFor({ userId: self.id, roles: ["user"] });

        const user = await clients.users.getUser({ id: self.id }, { headers: { authorization: `Bearer ${token}` } });

        assert.equal(user.id, self.id);
      });

      for (const { name, authorization, message } of refusedByAnHs256Server) {
        it(`is UNAUTHENTICATED with ${name}`, async () => {
          const value = await authorization(self.id);
          const headers: Record<string, string> = value === undefined ? {} : { authorization: value };

          await assertConnectError(clients.users.getUser({ id: self.id }, { headers }), Code.Unauthenticated, message);
        });
      }
    });

    describe("Login", () => {
      it("exchanges the right password for a token that works and expires after JWT_LIFETIME_SECONDS", async () => {
        const { user, password } = await signUp(clients);

        const { accessToken, expiresAt } = await clients.auth.login({ username: ` ${user.username.toUpperCase()} `, password });

        assert.ok(Math.abs(Number(expiresAt) - (nowSeconds() + 900)) <= 5, `expires_at ${expiresAt}`);
        const claims = decodeJwt(accessToken);
        assert.equal(claims.sub, user.id);
        assert.equal(claims.exp, Number(expiresAt));
        assert.deepEqual(claims.roles, ["user"]);
        const seen = await clients.users.getUser({ id: user.id }, { headers: { authorization: `Bearer ${accessToken}` } });
        assert.equal(seen.email, user.email);
      });

      type Credentials = { username: string; password: string };
      const wrongCredentials: readonly { name: string; credentials: (user: User, password: string) => Credentials }[] = [
        { name: "a wrong password", credentials: (user, password) => ({ username: user.username, password: `${password}x` }) },
        { name: "an unknown username", credentials: (_, password) => ({ username: "nobody-here", password }) },
      ];
      for (const { name, credentials } of wrongCredentials) {
        it(`answers ${name} with UNAUTHENTICATED "invalid username or password"`, async () => {
          const { user, password } = await signUp(clients);

          await assertConnectError(
            clients.auth.login(credentials(user, password)),
            Code.Unauthenticated,
            /^invalid username or password$/,
          );
        });
      }
    });
  });
}

describe("Login timing", { timeout: 60_000 }, () => {
  let server: TestServer;

  before(async () => {
    // A realistic cost makes hashing dominate a call: an unknown user that
    // skipped it would answer several times faster.
    server = await startServer({ env: { PASSWORD_HASH_COST: "12" } });
  });

  after(() => server.close());

  it("takes about as long for an unknown username as for a wrong password", async () => {
    const clients = clientsFor(protocolTransports[0]!, server);
    const { user, password } = await signUp(clients);
    const attempt = async (username: string) => {
      const start = performance.now();
      await assertConnectError(clients.auth.login({ username, password: `${password}x` }), Code.Unauthenticated);
      return performance.now() - start;
    };
    // Warm up connections and code paths.
    await attempt(user.username);
    await attempt("nobody-here");

    const wrongPassword: number[] = [];
    const unknownUser: number[] = [];
    for (let i = 0; i < 9; i++) {
      wrongPassword.push(await attempt(user.username));
      unknownUser.push(await attempt(`nobody-${i}`));
    }

    const ratio = median(unknownUser) / median(wrongPassword);
    assert.ok(
      ratio >= 0.5 && ratio <= 2,
      `median unknown user ${median(unknownUser).toFixed(1)} ms vs wrong password ${median(wrongPassword).toFixed(1)} ms`,
    );
  });
});

describe("HS256 with a generated secret (JWT_SECRET unset)", { timeout: 30_000 }, () => {
  let dataDir: string;
  // A SQLite file, reopened by each server: the user outlives a restart too.
  const startOnDataDir = (dir = dataDir) =>
    startServer({ env: { DATA_DIR: dir, JWT_SECRET: "" }, store: createSqliteStore({ path: join(dir, "users.db") }) });

  before(() => {
    dataDir = freshTempDir();
  });

  it("keeps the secret in DATA_DIR, readable by the owner only, and tokens survive a restart", async () => {
    const first = await startOnDataDir();
    let token: string;
    let user: User;
    try {
      const clients = clientsFor(protocolTransports[0]!, first);
      let password: string;
      ({ user, password } = await signUp(clients));
      ({ accessToken: token } = await clients.auth.login({ username: user.username, password }));
    } finally {
      await first.close();
    }
    const secretFile = join(dataDir, "jwt-secret");
    assert.equal(statSync(secretFile).mode & 0o777, 0o600);
    const secret = readFileSync(secretFile, "utf8");
    assert.ok(secret.trim().length >= 32, "the secret has at least 32 characters");

    const second = await startOnDataDir();
    try {
      for (const row of protocolTransports) {
        const seen = await clientsFor(row, second).users.getUser({ id: user.id }, { headers: { authorization: `Bearer ${token}` } });
        assert.equal(seen.id, user.id, row.name);
      }
    } finally {
      await second.close();
    }
    assert.equal(readFileSync(secretFile, "utf8"), secret, "a restart keeps the secret");

    const elsewhere = await startOnDataDir(freshTempDir());
    try {
      await assertConnectError(
        clientsFor(protocolTransports[0]!, elsewhere).users.getUser({ id: user.id }, { headers: { authorization: `Bearer ${token}` } }),
        Code.Unauthenticated,
        /^token signature is invalid$/,
      );
    } finally {
      await elsewhere.close();
    }
  });
});

describe("ES256 with a key file", { timeout: 30_000 }, () => {
  let server: TestServer;
  let publicKey: KeyObject;
  let publicKeyPem: string;

  before(async () => {
    const dir = freshTempDir();
    const keyFile = join(dir, "jwt-es256.pem");
    execFileSync("openssl", ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", keyFile], { stdio: "pipe" });
    publicKey = createPublicKey(readFileSync(keyFile));
    publicKeyPem = publicKey.export({ type: "spki", format: "pem" }).toString();
    server = await startServer({ env: { JWT_ALGORITHM: "ES256", JWT_PRIVATE_KEY_FILE: keyFile } });
  });

  after(() => server.close());

  const refusedByAnEs256Server: readonly BadCredential[] = [
    {
      // Algorithm confusion: a verifier that took the key for an HMAC secret would accept this.
      name: "an HS256 token whose secret is the server's public key (PEM)",
      authorization: (sub) => bearer(sign(validClaims(sub), "HS256", new TextEncoder().encode(publicKeyPem))),
      message: /^token algorithm is not accepted$/,
    },
    {
      name: "an HS256 token signed with the tests' default secret",
      authorization: (sub) => bearer(sign(validClaims(sub), "HS256", testSecret)),
      message: /^token algorithm is not accepted$/,
    },
    {
      name: "an ES256 token signed with another P-256 key",
      authorization: (sub) => bearer(sign(validClaims(sub), "ES256", generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey)),
      message: /^token signature is invalid$/,
    },
    {
      name: "an unsigned token (alg: none)",
      authorization: (sub) => bearer(unsecuredToken(validClaims(sub))),
      message: /^token algorithm is not accepted$/,
    },
  ];

  for (const row of protocolTransports) {
    describe(`over ${row.name}`, () => {
      it("issues ES256 tokens at Login that the public key verifies and the server accepts", async () => {
        const clients = clientsFor(row, server);
        const { user, password } = await signUp(clients);

        const { accessToken } = await clients.auth.login({ username: user.username, password });

        assert.equal(decodeProtectedHeader(accessToken).alg, "ES256");
        const { payload } = await jwtVerify(accessToken, publicKey, { issuer: SERVICE_NAME, audience: SERVICE_NAME });
        assert.equal(payload.sub, user.id);
        const seen = await clients.users.getUser({ id: user.id }, { headers: { authorization: `Bearer ${accessToken}` } });
        assert.equal(seen.id, user.id);
      });

      for (const { name, authorization, message } of refusedByAnEs256Server) {
        it(`is UNAUTHENTICATED with ${name}`, async () => {
          const clients = clientsFor(row, server);
          const { user } = await signUp(clients);

          await assertConnectError(
            clients.users.getUser({ id: user.id }, { headers: { authorization: (await authorization(user.id))! } }),
            Code.Unauthenticated,
            message,
          );
        });
      }
    });
  }
});

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
