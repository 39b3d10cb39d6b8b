import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isUuid, normalizeEmail, normalizeId, normalizeUsername } from "../user-fields.js";

// What the fields must look like is the contract's business (see
// test/unit/validation-rules.spec.ts); these are the forms we store.
describe("user fields", () => {
  it("trims surrounding whitespace from usernames and emails, and keeps their case", () => {
    assert.equal(normalizeUsername("  Ada.L_ovelace-1 "), "Ada.L_ovelace-1");
    assert.equal(normalizeUsername("\t\r\n ada \f"), "ada");
    assert.equal(normalizeEmail(" Ada@Example.com\n"), "Ada@Example.com");
  });

  it("stores ids in lower case", () => {
    assert.equal(normalizeId("0B7C1F52-4F0E-4D4E-9A51-0B8D8B0C6F31"), "0b7c1f52-4f0e-4d4e-9a51-0b8d8b0c6f31");
  });

  it("recognises lower-case UUIDs only, as stored", () => {
    assert.equal(isUuid("0b7c1f52-4f0e-4d4e-9a51-0b8d8b0c6f31"), true);
    assert.equal(isUuid("0B7C1F52-4F0E-4D4E-9A51-0B8D8B0C6F31"), false);
    assert.equal(isUuid("42"), false);
  });
});
