import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { after, describe, it } from "node:test";

const root = join(import.meta.dirname, "..", "..");

function listFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? listFiles(path) : [path];
  });
}

describe("generated code", () => {
  const out = mkdtempSync(join(tmpdir(), "gen-check-"));
  after(() => rmSync(out, { recursive: true, force: true }));

  it("gen/ is exactly what `npm run generate` writes from proto/ (run it when this fails)", () => {
    // The same pipeline as `npm run generate` (protoc image, then buf generate), written elsewhere.
    execFileSync("bash", [join(root, "scripts/generate.sh"), out], { cwd: root, stdio: "pipe" });
    const fresh = join(out, "gen");
    const committed = join(root, "gen");
    const freshFiles = listFiles(fresh).map((f) => relative(fresh, f)).sort();
    const committedFiles = listFiles(committed).map((f) => relative(committed, f)).sort();
    assert.deepEqual(committedFiles, freshFiles, "gen/ holds other files than buf generates");
    for (const file of freshFiles) {
      assert.equal(
        readFileSync(join(committed, file), "utf8"),
        readFileSync(join(fresh, file), "utf8"),
        `gen/${file} is stale`,
      );
    }
  });
});
