import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { encodeGrpcMessage } from "../grpc-status.js";

describe("grpc-message encoding", () => {
  it("leaves printable ASCII other than % as it is", () => {
    assert.equal(encodeGrpcMessage("entry 2: username, e-mail @ /x"), "entry 2: username, e-mail @ /x");
  });

  it("escapes %, control characters and every byte of non-ASCII UTF-8", () => {
    assert.equal(encodeGrpcMessage("100%"), "100%25");
    assert.equal(encodeGrpcMessage("a\r\nb\t"), "a%0D%0Ab%09");
    assert.equal(encodeGrpcMessage("é🙂"), "%C3%A9%F0%9F%99%82");
  });

  it("round-trips through a spec decoder", () => {
    const message = "line 1\nnon-BMP 🙂, BMP ☺ and 50% off: ok";
    assert.equal(decodeURIComponent(encodeGrpcMessage(message)), message);
  });
});
