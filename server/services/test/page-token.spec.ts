import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { decodePageToken, encodePageToken } from "../page-token.js";

const cursor = { createdAt: 1_795_000_000, id: "0b7c1f52-4f0e-4d4e-9a51-0b8d8b0c6f31" };

describe("page token", () => {
  it("round-trips a cursor", () => {
    assert.deepEqual(decodePageToken(encodePageToken(cursor)), cursor);
  });

  it("is URL-safe and opaque", () => {
    assert.match(encodePageToken(cursor), /^[A-Za-z0-9_-]+$/);
  });

  for (const [name, token] of [
    ["garbage", "not a token"],
    ["another version", Buffer.from(`v9:1:${cursor.id}`).toString("base64url")],
    ["a malformed id", Buffer.from("v1:1:nope").toString("base64url")],
    ["a non-numeric time", Buffer.from(`v1:x:${cursor.id}`).toString("base64url")],
    ["extra parts", Buffer.from(`v1:1:${cursor.id}:x`).toString("base64url")],
  ]) {
    it(`rejects ${name} with INVALID_ARGUMENT`, () => {
      assert.throws(
        () => decodePageToken(token!),
        (e: unknown) => e instanceof ConnectError && e.code === Code.InvalidArgument && /page_token/.test(e.message),
      );
    });
  }
});
