import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { frame, FrameReader, parseTrailerFrame, TRAILER_FLAG } from "./grpc-frame.js";

describe("FrameReader", () => {
  it("reads frames split anywhere across chunks", () => {
    const bytes = Buffer.concat([frame(Buffer.from("hello")), frame(Buffer.from("")), frame(Buffer.from("grpc-status: 0"), TRAILER_FLAG)]);
    const reader = new FrameReader();
    const frames = [...bytes].flatMap((byte) => reader.push(Buffer.from([byte])));

    assert.deepEqual(
      frames.map((f) => [f.flags, f.data.toString()]),
      [[0, "hello"], [0, ""], [TRAILER_FLAG, "grpc-status: 0"]],
    );
    assert.equal(reader.count, 3);
    assert.equal(reader.leftover, 0);
  });

  it("counts the frames it does not keep", () => {
    const reader = new FrameReader((index) => index === 1);
    const frames = reader.push(Buffer.concat([frame(Buffer.from("a")), frame(Buffer.from("b")), frame(Buffer.from("c"))]));

    assert.deepEqual(frames.map((f) => f.data.toString()), ["b"]);
    assert.equal(reader.count, 3);
  });

  it("keeps an unfinished frame for the next chunk", () => {
    const reader = new FrameReader();
    assert.deepEqual(reader.push(frame(Buffer.from("abc")).subarray(0, 6)), []);
    assert.equal(reader.leftover, 6);
  });
});

describe("parseTrailerFrame", () => {
  it("reads gRPC-Web trailers with lower-cased names", () => {
    const trailers = parseTrailerFrame(Buffer.from("Grpc-Status: 5\r\ngrpc-message: no user\r\n"));
    assert.deepEqual([...trailers], [["grpc-status", "5"], ["grpc-message", "no user"]]);
  });
});
