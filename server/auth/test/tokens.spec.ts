import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { describe, it } from "node:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { createTokens, type SigningKey } from "../tokens.js";

const options = { issuer: "user-service", audience: "user-service", lifetimeSeconds: 3600 };
const hs256 = (secret: string): SigningKey => ({ algorithm: "HS256", secret: Buffer.from(secret) });
const alice = { userId: "0b7c1f52-4f0e-4d4e-9a51-0b8d8b0c6f31", roles: ["user"] };

const unauthenticated = (pattern: RegExp) => (e: unknown) =>
  e instanceof ConnectError && e.code === Code.Unauthenticated && pattern.test(e.rawMessage);

describe("tokens", () => {
  it("verifies what it issued and returns the identity", async () => {
    const tokens = createTokens(hs256("a".repeat(32)), options);
    const { accessToken, expiresAt } = await tokens.issue(alice);
    assert.deepEqual(await tokens.verify(accessToken), alice);
    assert.ok(Math.abs(expiresAt - (Date.now() / 1000 + 3600)) < 5);
  });

  it("rejects a token signed with another secret", async () => {
    const { accessToken } = await createTokens(hs256("b".repeat(32)), options).issue(alice);
    await assert.rejects(createTokens(hs256("a".repeat(32)), options).verify(accessToken), unauthenticated(/signature/));
  });

  it("rejects a token for another audience", async () => {
    const { accessToken } = await createTokens(hs256("a".repeat(32)), { ...options, audience: "other" }).issue(alice);
    await assert.rejects(createTokens(hs256("a".repeat(32)), options).verify(accessToken), unauthenticated(/"aud"/));
  });

  it("works with ES256 and refuses an HS256 token made with the public key", async () => {
    const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
    const tokens = createTokens({ algorithm: "ES256", privateKey, publicKey }, options);
    assert.deepEqual(await tokens.verify((await tokens.issue(alice)).accessToken), alice);
    const pem = publicKey.export({ type: "spki", format: "pem" }).toString();
    const forged = await createTokens(hs256(pem), options).issue({ ...alice, roles: ["admin"] });
    await assert.rejects(tokens.verify(forged.accessToken), unauthenticated(/algorithm/));
  });

  it("rejects garbage as malformed", async () => {
    const tokens = createTokens(hs256("a".repeat(32)), options);
    await assert.rejects(tokens.verify("not.a.jwt"), unauthenticated(/malformed/));
  });
});
