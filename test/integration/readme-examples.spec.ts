/**
 * The README's shell examples work as written: each section's sh blocks run,
 * in order, in one bash session against a real server (only the port
 * differs), and print what the README says they do.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { assertEachCallSentItsTrace, createSpanCapture } from "../support/span-capture.js";
import { startServer, type TestServer } from "../support/start-server.js";

const root = join(import.meta.dirname, "..", "..");
// Async: the server runs in this process and must keep answering meanwhile.
const run = promisify(execFile);

/** The sh blocks of the README section titled `title` (with its ### subsections), joined. */
function shCommands(title: string): string {
  const readme = readFileSync(join(root, "README.md"), "utf8");
  const section = readme.split(/^## /m).find((s) => s.startsWith(`${title}\n`));
  assert.ok(section, `README has a "${title}" section`);
  const blocks = [...section.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);
  assert.ok(blocks.length > 0, `the "${title}" section has sh blocks`);
  return blocks.join("\n");
}

/** Runs a section's commands against `server` and returns what they printed. */
async function runSection(title: string, server: TestServer): Promise<string> {
  const script = shCommands(title).replaceAll("http://localhost:8080", server.baseUrl);
  const { stdout } = await run("bash", ["-euo", "pipefail", "-c", script], { cwd: root, timeout: 90_000 });
  return stdout;
}

/** How many times `pattern` (a global RegExp) occurs in `text`. */
function occurrences(text: string, pattern: RegExp): number {
  return [...text.matchAll(pattern)].length;
}

describe("README examples", { timeout: 120_000 }, () => {
  let server: TestServer;
  before(async () => (server = await startServer()));
  after(() => server.close());

  it("every curl and buf curl line in 'Try it' works as written", async () => {
    const output = await runSection("Try it", server);
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

  it("'Every RPC with curl and buf curl' calls every RPC both ways", async () => {
    const output = await runSection("Every RPC with curl and buf curl", server);
    // CreateUser and Login (buf curl prints indented JSON, curl compact JSON).
    assert.match(output, /"username": "bob_\d+_2"/);
    assert.match(output, /"accessToken": "[\w-]+\.[\w-]+\.[\w-]+"/);
    // GetUser, both ways, then UpdateUser.
    const id = /^\{"id":"([0-9a-f-]{36})","username":"bob_\d+","email":"bob_\d+@example\.com"/m.exec(output)?.[1];
    assert.ok(id, "curl printed the user");
    assert.match(output, new RegExp(`"id": "${id}",\\n  "username": "bob_\\d+",`));
    assert.match(output, /^\{"id":"[^"]+","username":"bob_\d+","email":"bob_\d+\.new@example\.com"/m);
    assert.match(output, /"username": "bob_\d+_renamed"/);
    // ListUsers: a page of one, the cursor of the next in the last frame.
    assert.match(output, /^\{"metadata":\{"next-page-token":\["[\w-]+"\]\}\}$/m);
    // CreateUsers, both ways.
    assert.match(output, /"username":"bob_\d+_3".*"username":"bob_\d+_4".*"count":2\}/);
    assert.match(output, /"username": "bob_\d+_6"[\s\S]*"count": 2/);
    // SendChatMessage, seen by both ChatSubscribe watchers, which end at their deadline.
    assert.equal(occurrences(output, /"text": ?"hello, room"/g), 3, "the answer and both watchers");
    assert.equal(occurrences(output, /"text": ?"hello again"/g), 3, "the answer and both watchers");
    assert.match(output, /^\{"error":\{"code":"deadline_exceeded"/m);
    // Chat: curl's echoes, then the buf curl session's own message and another client's.
    assert.match(output, /^\{"userId":"[^"]+","text":"hi",[^\n]*\n\{"userId":"[^"]+","text":"bye",[^\n]*\n\{\}$/m);
    assert.match(output, /"text": "hello from buf curl"[\s\S]*"text": "welcome"/);
    // DeleteUser, then NOT_FOUND both ways.
    assert.match(output, /"success": true/);
    assert.match(output, /^\{"code":"not_found","message":"no user has id [0-9a-f-]{36}"\}$/m);
    assert.match(output, /^exit code 40$/m);
  });

  it("the command-line client lines in 'Clients to copy' work as written", async () => {
    const output = await runSection("Clients to copy", server);
    const users = output
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as { username: string });
    const [created, ...rest] = users.map((u) => u.username);
    assert.match(created!, /^cli_\d+$/);
    // Imported (two), then listed (a page of two).
    assert.deepEqual(rest.slice(0, 2), [`${created}_1`, `${created}_2`]);
    assert.equal(rest.length, 4);
    assert.match(output, new RegExp(`^\\d\\d:\\d\\d:\\d\\d [0-9a-f-]{36}: hello from the CLI$`, "m"));
  });
});

describe("examples/client.ts", () => {
  let server: TestServer;
  const spans = createSpanCapture();
  before(async () => (server = await startServer({ tracerProvider: spans.tracerProvider })));
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
    assertEachCallSentItsTrace(spans.rpcSpans());
  });
});
