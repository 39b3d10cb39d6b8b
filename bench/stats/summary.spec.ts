import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { percentile, summarize } from "./summary.js";

describe("summarize", () => {
  it("gives the median, the extremes and the quartiles of unsorted samples", () => {
    assert.deepEqual(summarize([5, 1, 3, 2, 4]), { median: 3, min: 1, max: 5, q1: 2, q3: 4, n: 5 });
  });

  it("interpolates the median of an even count", () => {
    assert.equal(summarize([10, 20]).median, 15);
  });

  it("refuses no samples", () => {
    assert.throws(() => summarize([]), /no samples/);
  });
});

describe("percentile", () => {
  it("is NaN for no values and the value itself for one", () => {
    assert.ok(Number.isNaN(percentile([], 0.5)));
    assert.equal(percentile([7], 0.99), 7);
  });

  it("reaches the largest value at 1", () => {
    assert.equal(percentile([1, 2, 3], 1), 3);
  });
});
