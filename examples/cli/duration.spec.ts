import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseDuration } from "./duration.js";
import { UsageError } from "./usage-error.js";

describe("parseDuration", () => {
  it("reads milliseconds, seconds, minutes and hours", () => {
    assert.equal(parseDuration("500ms", "--timeout"), 500);
    assert.equal(parseDuration("10s", "--timeout"), 10_000);
    assert.equal(parseDuration("1.5s", "--timeout"), 1_500);
    assert.equal(parseDuration("5m", "--timeout"), 300_000);
    assert.equal(parseDuration("1h", "--timeout"), 3_600_000);
  });

  it("refuses a number without a unit, a zero and anything else, naming the flag", () => {
    for (const text of ["10", "0s", "0.1ms", "-1s", "10 s", "soon", ""]) {
      assert.throws(() => parseDuration(text, "--timeout"), (e: unknown) => e instanceof UsageError && e.message.startsWith("--timeout must be"), text);
    }
  });
});
