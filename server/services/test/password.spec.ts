import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createScryptHasher } from "../password.js";

describe("password hasher", () => {
  const hasher = createScryptHasher(10);

  it("verifies the right password and rejects a wrong one", async () => {
    const hash = await hasher.hash("correct horse");
    assert.equal(await hasher.verify("correct horse", hash), true);
    assert.equal(await hasher.verify("correct horsE", hash), false);
  });

  it("salts every hash and never contains the password", async () => {
    const [a, b] = await Promise.all([hasher.hash("same password"), hasher.hash("same password")]);
    assert.notEqual(a, b);
    assert.doesNotMatch(a, /same password/);
  });

  it("keeps hashes made with another cost verifiable", async () => {
    const old = await createScryptHasher(11).hash("correct horse");
    assert.equal(await hasher.verify("correct horse", old), true);
  });

  it("treats NFC and NFD spellings of a password as the same", async () => {
    const hash = await hasher.hash("caf\u00e9 au lait");
    assert.equal(await hasher.verify("cafe\u0301 au lait", hash), true);
  });

  it("rejects a malformed stored hash instead of throwing", async () => {
    assert.equal(await hasher.verify("x", "not-a-hash"), false);
  });
});
