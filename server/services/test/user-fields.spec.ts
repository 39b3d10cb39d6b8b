import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { checkEmail, checkId, checkPassword, checkUsername } from "../user-fields.js";

const invalidArgument = (pattern: RegExp) => (e: unknown) =>
  e instanceof ConnectError && e.code === Code.InvalidArgument && pattern.test(e.rawMessage);

describe("user fields", () => {
  it("trims and accepts usernames of 3 to 32 allowed characters", () => {
    assert.equal(checkUsername("  ada.l_ovelace-1 "), "ada.l_ovelace-1");
    assert.equal(checkUsername("abc"), "abc");
    assert.equal(checkUsername("a".repeat(32)), "a".repeat(32));
  });

  for (const bad of ["", "ab", "a".repeat(33), "ada lovelace", "ädä", "ada!", "<script>"]) {
    it(`rejects the username ${JSON.stringify(bad)}`, () => {
      assert.throws(() => checkUsername(bad), invalidArgument(/^username must be 3 to 32/));
    });
  }

  it("trims and accepts email addresses", () => {
    assert.equal(checkEmail(" ada@example.com "), "ada@example.com");
    assert.equal(checkEmail("a.b+tag@mail.example.co.uk"), "a.b+tag@mail.example.co.uk");
  });

  for (const bad of ["", "ada", "ada@", "@example.com", "ada@example", "ada@@example.com", "a b@example.com",
    "ada@-example.com", ".ada@example.com", "ada..x@example.com", `${"a".repeat(65)}@example.com`,
    `a@${"b".repeat(250)}.com`]) {
    it(`rejects the email ${JSON.stringify(bad.slice(0, 40))}`, () => {
      assert.throws(() => checkEmail(bad), invalidArgument(/^email must be an email address/));
    });
  }

  it("counts password length in characters, not bytes or UTF-16 units", () => {
    assert.equal(checkPassword("12345678"), "12345678");
    assert.equal(checkPassword("🔑🔑🔑🔑🔑🔑🔑🔑"), "🔑🔑🔑🔑🔑🔑🔑🔑");
    assert.throws(() => checkPassword("🔑🔑🔑🔑"), invalidArgument(/^password must be 8 to 1024/));
  });

  it("rejects short and huge passwords", () => {
    assert.throws(() => checkPassword("1234567"), invalidArgument(/^password must be/));
    assert.throws(() => checkPassword("x".repeat(1025)), invalidArgument(/^password must be/));
    assert.throws(() => checkPassword("x".repeat(5_000_000)), invalidArgument(/^password must be/));
  });

  it("accepts UUIDs as ids, in either case", () => {
    assert.equal(checkId("0B7C1F52-4F0E-4D4E-9A51-0B8D8B0C6F31"), "0b7c1f52-4f0e-4d4e-9a51-0b8d8b0c6f31");
  });

  it("says an empty id is required and a malformed one must be a UUID", () => {
    assert.throws(() => checkId(""), invalidArgument(/^id is required$/));
    assert.throws(() => checkId("42"), invalidArgument(/^id must be a user id/));
  });
});
