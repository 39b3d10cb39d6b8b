/**
 * The input rules the contract declares (buf.validate annotations in proto/),
 * checked value by value with the same validator the server runs. Each
 * rejection names the field and the rule that caught it.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create, type DescMessage, type MessageInitShape } from "@bufbuild/protobuf";
import { pathToString } from "@bufbuild/protobuf/reflect";
import { createValidator } from "@bufbuild/protovalidate";
import { LoginRequestSchema } from "../../gen/auth/v1/auth_pb.js";
import {
  ChatMessageSchema,
  CreateUserRequestSchema,
  DeleteUserRequestSchema,
  GetUserRequestSchema,
  ListUsersRequestSchema,
  UpdateUserRequestSchema,
} from "../../gen/user/v1/user_pb.js";

const validator = createValidator();

/** "field: rule id" for each violation; empty when the message is valid. */
function violations<Desc extends DescMessage>(schema: Desc, init: MessageInitShape<Desc>): string[] {
  const result = validator.validate(schema, create(schema, init));
  assert.notEqual(result.kind, "error", result.error?.message);
  return (result.violations ?? []).map((v) => `${pathToString(v.field)}: ${v.ruleId}`);
}

const ID = "0b7c1f52-4f0e-4d4e-9a51-0b8d8b0c6f31";
const validUser = { username: "ada", email: "ada@example.com", password: "password1" };
const createUser = (fields: Partial<typeof validUser>) =>
  violations(CreateUserRequestSchema, { ...validUser, ...fields });

/** An address of exactly `length` characters, 64 of them before the @. */
function emailOfLength(length: number): string {
  const local = "a".repeat(64);
  const tail = ".com";
  const labels = [];
  let left = length - local.length - 1 - tail.length;
  while (left > 0) {
    const size = Math.min(63, left);
    labels.push("b".repeat(size));
    left -= size + 1;
  }
  const email = `${local}@${labels.join(".")}${tail}`;
  assert.equal(email.length, length);
  return email;
}

describe("validation rules", () => {
  describe("username", () => {
    for (const good of ["abc", "a".repeat(32), "Ada.L_ovelace-1", "  ada  ", "\t\r\nada\f "]) {
      it(`accepts ${JSON.stringify(good)}`, () => {
        assert.deepEqual(createUser({ username: good }), []);
        assert.deepEqual(violations(UpdateUserRequestSchema, { id: ID, username: good }), []);
      });
    }

    const bad = ["", "ab", "a".repeat(33), "ada lovelace", "ädä", "ada!", "<script>", "ada\u00a0", " ".repeat(2000) + "ada"];
    for (const value of bad) {
      it(`rejects ${JSON.stringify(value.slice(0, 40))}`, () => {
        assert.deepEqual(createUser({ username: value }), ["username: username.format"]);
        assert.deepEqual(violations(UpdateUserRequestSchema, { id: ID, username: value }), ["username: username.format"]);
      });
    }

    it("is not checked on UpdateUser when left unset", () => {
      assert.deepEqual(violations(UpdateUserRequestSchema, { id: ID }), []);
    });
  });

  describe("email", () => {
    const good = [
      "ada@example.com",
      " ada@example.com\n",
      "a.b+tag@mail.example.co.uk",
      "o'brien@example.com",
      emailOfLength(254),
      `  ${emailOfLength(254)}  `,
    ];
    for (const value of good) {
      it(`accepts ${JSON.stringify(value.slice(0, 40))} (${value.length} characters)`, () => {
        assert.deepEqual(createUser({ email: value }), []);
        assert.deepEqual(violations(UpdateUserRequestSchema, { id: ID, email: value }), []);
      });
    }

    const bad: readonly [string, string[]][] = [
      ["", ["email.format"]],
      ["ada", ["email.format"]],
      ["ada@", ["email.format"]],
      ["@example.com", ["email.format"]],
      ["ada@example", ["email.format"]],
      ["ada@@example.com", ["email.format"]],
      ["a b@example.com", ["email.format"]],
      ["ada@-example.com", ["email.format"]],
      [".ada@example.com", ["email.format"]],
      ["ada..x@example.com", ["email.format"]],
      ["ada@example.com\u0085", ["email.format"]],
      [`${"a".repeat(65)}@example.com`, ["email.local_part_max_len"]],
      [emailOfLength(255), ["email.max_len"]],
      [`${" ".repeat(1010)}ada@example.com`, ["email.format"]],
      [`a@${"b".repeat(250)}.com`, ["email.format", "email.max_len"]],
    ];
    for (const [value, rules] of bad) {
      it(`rejects ${JSON.stringify(value.slice(0, 40))} (${value.length} characters) by ${rules.join(", ")}`, () => {
        const expected = rules.map((rule) => `email: ${rule}`);
        assert.deepEqual(createUser({ email: value }), expected);
        assert.deepEqual(violations(UpdateUserRequestSchema, { id: ID, email: value }), expected);
      });
    }
  });

  describe("password", () => {
    it("counts characters (code points), not bytes or UTF-16 units", () => {
      assert.deepEqual(createUser({ password: "12345678" }), []);
      assert.deepEqual(createUser({ password: "🔑".repeat(8) }), []);
      assert.deepEqual(createUser({ password: "🔑".repeat(1024) }), []);
      assert.deepEqual(createUser({ password: "🔑".repeat(4) }), ["password: string.min_len"]);
    });

    it("rejects passwords under 8 or over 1024 characters", () => {
      assert.deepEqual(createUser({ password: "" }), ["password: string.min_len"]);
      assert.deepEqual(createUser({ password: "1234567" }), ["password: string.min_len"]);
      assert.deepEqual(createUser({ password: "x".repeat(1025) }), ["password: string.max_len"]);
      assert.deepEqual(createUser({ password: "x".repeat(5_000_000) }), ["password: string.max_len"]);
    });
  });

  describe("every violation at once", () => {
    it("reports each bad field of a message", () => {
      assert.deepEqual(violations(CreateUserRequestSchema, { username: "x", email: "y", password: "z" }), [
        "username: username.format",
        "email: email.format",
        "password: string.min_len",
      ]);
    });
  });

  describe("user ids", () => {
    const requests = [
      ["GetUserRequest", (id: string) => violations(GetUserRequestSchema, { id })],
      ["UpdateUserRequest", (id: string) => violations(UpdateUserRequestSchema, { id })],
      ["DeleteUserRequest", (id: string) => violations(DeleteUserRequestSchema, { id })],
    ] as const;
    for (const [name, check] of requests) {
      it(`${name} takes a UUID in either case, and requires it`, () => {
        assert.deepEqual(check(ID), []);
        assert.deepEqual(check(ID.toUpperCase()), []);
        assert.deepEqual(check(""), ["id: required"]);
        assert.deepEqual(check("42"), ["id: string.uuid"]);
        assert.deepEqual(check(`${ID} `), ["id: string.uuid"]);
      });
    }
  });

  describe("ListUsersRequest", () => {
    it("takes a page_size of 0 (every user) to 1000", () => {
      for (const pageSize of [0, 1, 1000]) {
        assert.deepEqual(violations(ListUsersRequestSchema, { pageSize }), []);
      }
      for (const pageSize of [-1, 1001, 2_147_483_647]) {
        assert.deepEqual(violations(ListUsersRequestSchema, { pageSize }), ["page_size: int32.gte_lte"]);
      }
    });

    it("takes a page_token of at most 512 characters", () => {
      assert.deepEqual(violations(ListUsersRequestSchema, { pageToken: "t".repeat(512) }), []);
      assert.deepEqual(violations(ListUsersRequestSchema, { pageToken: "t".repeat(513) }), ["page_token: string.max_len"]);
    });
  });

  describe("ChatMessage.text", () => {
    it("takes 1 to 1000 characters", () => {
      assert.deepEqual(violations(ChatMessageSchema, { text: "x" }), []);
      assert.deepEqual(violations(ChatMessageSchema, { text: " hi " }), []);
      assert.deepEqual(violations(ChatMessageSchema, { text: "x".repeat(1000) }), []);
      assert.deepEqual(violations(ChatMessageSchema, { text: "🔑".repeat(1000) }), []);
      assert.deepEqual(violations(ChatMessageSchema, { text: "x".repeat(1001) }), ["text: string.max_len"]);
    });

    for (const blank of ["", " ", "\n\t  "]) {
      it(`rejects ${JSON.stringify(blank)} as blank`, () => {
        assert.deepEqual(violations(ChatMessageSchema, { text: blank }), ["text: text.not_blank"]);
      });
    }
  });

  describe("LoginRequest", () => {
    it("requires a username and a password of at most 1024 characters", () => {
      assert.deepEqual(violations(LoginRequestSchema, { username: "ada", password: "x" }), []);
      assert.deepEqual(violations(LoginRequestSchema, {}), ["username: required", "password: required"]);
      assert.deepEqual(violations(LoginRequestSchema, { username: "ada", password: "x".repeat(1025) }), [
        "password: string.max_len",
      ]);
    });
  });
});
