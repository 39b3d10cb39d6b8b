import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { TokenBuckets } from "../token-buckets.js";

function clock() {
  let ms = 0;
  return { now: () => ms, advance: (seconds: number) => (ms += seconds * 1000) };
}

describe("token buckets", () => {
  it("allows a burst, then says how long to wait", () => {
    const time = clock();
    const buckets = new TokenBuckets({ burst: 3, perSecond: 0.5 }, time.now);
    assert.deepEqual([buckets.take("a"), buckets.take("a"), buckets.take("a")], [0, 0, 0]);
    assert.equal(buckets.take("a"), 2);
  });

  it("refills over time, never above the burst", () => {
    const time = clock();
    const buckets = new TokenBuckets({ burst: 2, perSecond: 1 }, time.now);
    buckets.take("a");
    buckets.take("a");
    time.advance(1);
    assert.equal(buckets.take("a"), 0);
    time.advance(3600);
    assert.deepEqual([buckets.take("a"), buckets.take("a"), buckets.take("a") > 0], [0, 0, true]);
  });

  it("keeps one bucket per key", () => {
    const buckets = new TokenBuckets({ burst: 1, perSecond: 1 }, clock().now);
    assert.equal(buckets.take("a"), 0);
    assert.ok(buckets.take("a") > 0);
    assert.equal(buckets.take("b"), 0);
  });
});
