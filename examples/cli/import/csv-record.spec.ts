import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseCsvRecord } from "./csv-record.js";

describe("parseCsvRecord", () => {
  it("splits plain fields at commas, keeping empty ones", () => {
    assert.deepEqual(parseCsvRecord("ada,ada@example.com,correct horse"), ["ada", "ada@example.com", "correct horse"]);
    assert.deepEqual(parseCsvRecord("a,,c,"), ["a", "", "c", ""]);
    assert.deepEqual(parseCsvRecord(""), [""]);
  });

  it("reads quoted fields with commas and doubled quotes", () => {
    assert.deepEqual(parseCsvRecord('ada,"x,y","say ""hi""",""'), ["ada", "x,y", 'say "hi"', ""]);
  });

  it("rejects an unterminated quote and text after a closing quote", () => {
    assert.throws(() => parseCsvRecord('ada,"open'), /does not end on its line/);
    assert.throws(() => parseCsvRecord('"a"b,c'), /followed by a comma, at column 4/);
  });
});
