import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setImmediate } from "node:timers/promises";
import { context, createContextKey, ROOT_CONTEXT } from "@opentelemetry/api";
import { bindStreamToContext } from "../context-bound-stream.js";
import { registerContextManager } from "../tracing.js";

const key = createContextKey("test");
const bound = ROOT_CONTEXT.setValue(key, "bound");
const seen = () => context.active().getValue(key);

describe("bindStreamToContext", () => {
  registerContextManager();

  it("runs every step of the stream, across awaits, in the context", async () => {
    async function* source() {
      yield seen();
      await setImmediate();
      yield seen();
    }
    const values: unknown[] = [];
    // Pulled from outside the context, as Connect pulls a response stream.
    for await (const value of bindStreamToContext(bound, source())) {
      values.push(value, seen());
    }
    assert.deepEqual(values, ["bound", undefined, "bound", undefined]);
  });

  it("runs the source's cleanup in the context when the reader stops early", async () => {
    let cleanedUpIn: unknown;
    async function* source() {
      try {
        yield 1;
        yield 2;
      } finally {
        cleanedUpIn = seen();
      }
    }
    for await (const _ of bindStreamToContext(bound, source())) {
      break;
    }
    assert.equal(cleanedUpIn, "bound");
  });

  it("hands an error thrown in by the reader to the source", async () => {
    let caught: unknown;
    async function* source() {
      try {
        yield 1;
      } catch (e) {
        caught = e;
        throw e;
      }
    }
    const iterator = bindStreamToContext(bound, source())[Symbol.asyncIterator]();
    await iterator.next();
    const reason = new Error("write failed");
    await assert.rejects(iterator.throw!(reason), reason);
    assert.equal(caught, reason);
  });
});
