import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { runInterleaved, type Trial } from "./interleave.js";

describe("runInterleaved", () => {
  it("warms every trial up first, starts each round one trial further along, and finishes each last", async () => {
    const events: string[] = [];
    const trial = (key: string): Trial<string> => ({
      key,
      label: key,
      warmUp: async () => void events.push(`warm ${key}`),
      run: async (round) => {
        events.push(`${key}${round}`);
        return `${key}${round}`;
      },
      finish: async () => void events.push(`finish ${key}`),
    });

    const results = await runInterleaved([trial("a"), trial("b"), trial("c")], { rounds: 3 });

    assert.deepEqual(events, [
      "warm a", "warm b", "warm c",
      "a0", "b0", "c0",
      "b1", "c1", "a1",
      "c2", "a2", "b2",
      "finish a", "finish b", "finish c",
    ]);
    assert.deepEqual(results.get("b"), ["b0", "b1", "b2"]);
  });
});
