/**
 * The README's "Try it" commands work as written: they run, in order, in one
 * bash session against a real server (only the port differs).
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { startServer, type TestServer } from "../support/start-server.js";

const root = join(import.meta.dirname, "..", "..");
// Async: the server runs in this process and must keep answering meanwhile.
const run = promisify(execFile);

function tryItCommands(): string {
  const readme = readFileSync(join(root, "README.md"), "utf8");
  const section = readme.split(/^## /m).find((s) => s.startsWith("Try it"));
  assert.ok(section, 'README has a "Try it" section');
  const blocks = [...section.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);
  assert.ok(blocks.length >= 4, "the section has its sh blocks");
  return blocks.join("\n");
}

describe("README examples", () => {
  let server: TestServer;
  before(async () => (server = await startServer()));
  after(() => server.close());

  it("every curl and buf curl line in 'Try it' works as written", async () => {
    const script = tryItCommands().replaceAll("http://localhost:8080", server.baseUrl);
    const { stdout: output } = await run("bash", ["-euo", "pipefail", "-c", script], { cwd: root, timeout: 60_000 });
    const lines = output.split("\n");
    assert.match(lines[0]!, /^[0-9a-f-]{36}$/, "CreateUser printed an id");
    const id = lines[0]!;
    assert.equal(output.split(`"id":"${id}"`).length - 1, 3, "GetUser (POST and GET) and UpdateUser returned the user");
    assert.match(output, /"email":"ada_\d+\.new@example\.com"/);
    assert.match(output, /HTTP\/1\.1 400 Bad Request/);
    assert.match(output, /"code":"invalid_argument"/);
    assert.match(output, /"code":"unauthenticated","message":"missing access token/);
    assert.match(output, /"username": "ada_\d+"/, "buf curl listed users over gRPC");
    assert.match(output, /\{"success":true\}/);
  });
});

describe("examples/client.ts", () => {
  let server: TestServer;
  before(async () => (server = await startServer()));
  after(() => server.close());

  it("runs every RPC kind against a real server", async () => {
    const { stdout: output } = await run(process.execPath, ["--import", "tsx", "examples/client.ts", server.baseUrl], {
      cwd: root,
      timeout: 60_000,
    });
    assert.match(output, /created and fetched ada_/);
    assert.match(output, /imported 3 users/);
    assert.match(output, /listed 4 users/);
    assert.match(output, /chat: hello, room from me/);
  });
});
