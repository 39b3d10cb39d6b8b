/**
 * The command-line client (examples/cli, `npm run client`) against a real
 * server: every command run as a user runs it, in its own process, checked
 * by what it prints and its exit code.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { StoredUser } from "../../server/storage/store.js";
import { runProgram, startProgram, type ProgramResult } from "../support/run-program.js";
import { assertEachCallSentItsTrace, createSpanCapture } from "../support/span-capture.js";
import { startServer, type TestServer } from "../support/start-server.js";

const CLI = "examples/cli/main.ts";
const PASSWORD = "correct horse";

interface PrintedUser {
  id: string;
  username: string;
  email?: string;
  createdAt: string;
  roles: string[];
}

/** The users a command printed, one JSON object a line. */
function printedUsers(result: ProgramResult): PrintedUser[] {
  return result.stdout
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as PrintedUser);
}

function assertSucceeded(result: ProgramResult): void {
  assert.equal(result.code, 0, `exit code ${result.code}\n--- stderr ---\n${result.stderr}`);
}

describe("the command-line client", { timeout: 120_000 }, () => {
  let server: TestServer;
  const spans = createSpanCapture();
  let dir: string;
  let seq = 0;
  const unique = (prefix: string) => `${prefix}_${++seq}_${Date.now().toString(36)}`;

  /** Runs the CLI against the test server, as the user with `token` when given. */
  function cli(args: string[], options: { token?: string; input?: string } = {}): Promise<ProgramResult> {
    const env: Record<string, string> = { USER_SERVICE_URL: server.baseUrl, USER_SERVICE_PASSWORD: PASSWORD };
    if (options.token !== undefined) {
      env.USER_SERVICE_TOKEN = options.token;
    }
    return runProgram(CLI, args, env, options.input);
  }

  function userToken(userId: string = randomUUID()): Promise<string> {
    return server.tokenFor({ userId, roles: ["user"] });
  }

  before(async () => {
    server = await startServer({ tracerProvider: spans.tracerProvider });
    dir = mkdtempSync(join(tmpdir(), "cli-client-"));
  });
  after(async () => {
    rmSync(dir, { recursive: true, force: true });
    await server?.close();
  });

  it("create signs up; login prints a token that get, update and delete use", async () => {
    spans.exporter.reset();
    const username = unique("ada");
    const created = await cli(["create", "--username", username, "--email", `${username}@example.com`]);
    assertSucceeded(created);
    const [user] = printedUsers(created);
    assert.equal(user!.username, username);
    assert.deepEqual(user!.roles, ["user"]);

    const login = await cli(["login", "--username", username]);
    assertSucceeded(login);
    // The token alone on standard output, ready for USER_SERVICE_TOKEN.
    assert.match(login.stdout, /^[\w-]+\.[\w-]+\.[\w-]+\n$/);
    assert.match(login.stderr, /the token is valid until \d{4}-/);
    const token = login.stdout.trim();

    const got = await cli(["get", user!.id], { token });
    assertSucceeded(got);
    assert.deepEqual(printedUsers(got), [user]);

    const email = `${username}.new@example.com`;
    const updated = await cli(["update", user!.id, "--email", email], { token });
    assertSucceeded(updated);
    assert.deepEqual(printedUsers(updated), [{ ...user, email }]);

    // --token wins over the environment.
    const deleted = await cli(["delete", user!.id, "--token", token], { token: "not-a-token" });
    assertSucceeded(deleted);
    assert.equal(deleted.stdout, `deleted ${user!.id}\n`);
    assert.equal(await server.store.get(user!.id), undefined);
    // Each call came with a W3C traceparent, in a trace of its own.
    assert.equal(spans.rpcSpans().length, 5);
    assertEachCallSentItsTrace(spans.rpcSpans());
  });

  describe("list", () => {
    const SEEDED = 5;
    let seeded: StoredUser[];

    before(async () => {
      // Created long ago, so they come first in the listing, in this order.
      seeded = Array.from({ length: SEEDED }, (_, i) => ({
        id: randomUUID(),
        username: `listed_${i}`,
        email: `listed.${i}@example.com`,
        passwordHash: "not-a-real-hash",
        createdAt: 1_500_000_000 + i,
        roles: ["user"],
      }));
      await server.store.createMany(seeded);
    });

    it("streams every user without --page-size", async () => {
      const result = await cli(["list"], { token: await userToken() });
      assertSucceeded(result);
      const listed = printedUsers(result);
      assert.ok(listed.length >= SEEDED);
      assert.deepEqual(
        listed.slice(0, SEEDED).map((u) => u.username),
        seeded.map((u) => u.username),
      );
      assert.equal(result.stderr, "", "no page follows");
    });

    it("--page-size prints one page and how to ask for the next; --page-token resumes; --all walks every page", async () => {
      const token = await userToken();
      const first = await cli(["list", "--page-size", "2"], { token });
      assertSucceeded(first);
      assert.deepEqual(
        printedUsers(first).map((u) => u.username),
        ["listed_0", "listed_1"],
      );
      const next = /^more users follow: list --page-size 2 --page-token (\S+)\n$/.exec(first.stderr)?.[1];
      assert.ok(next, `a next page token in: ${first.stderr}`);

      const second = await cli(["list", "--page-size", "2", "--page-token", next], { token });
      assertSucceeded(second);
      assert.deepEqual(
        printedUsers(second).map((u) => u.username),
        ["listed_2", "listed_3"],
      );

      const all = await cli(["list", "--page-size", "2", "--all"], { token });
      assertSucceeded(all);
      const everyone = printedUsers(await cli(["list"], { token }));
      assert.deepEqual(printedUsers(all), everyone);
      assert.equal(all.stderr, "", "no page follows the last");
    });
  });

  describe("import", () => {
    function writeFile(name: string, text: string): string {
      const path = join(dir, name);
      writeFileSync(path, text);
      return path;
    }

    it("client-streams a CSV file's users, showing progress, and prints them", async () => {
      const names = [unique("csv"), unique("csv"), unique("csv")];
      // Columns in any order; a quoted password holding a comma and a quote.
      const path = writeFile(
        "users.csv",
        ["email,username,password", ...names.map((n) => `${n}@example.com,${n},"pass, ""word"" ${n}"`)].join("\n") + "\n",
      );
      const result = await cli(["import", path], { token: await userToken() });
      assertSucceeded(result);
      assert.deepEqual(
        printedUsers(result).map((u) => [u.username, u.email]),
        names.map((n) => [n, `${n}@example.com`]),
      );
      assert.match(result.stderr, /^import: sent 1 of 3 users \(33%\)$/m);
      assert.match(result.stderr, /^import: sent all 3 users; the server is creating them$/m);
      assert.match(result.stderr, /^import: created 3 users in \d+\.\d s$/m);
      // The CSV quoting reached the server intact: the password logs in.
      assertSucceeded(await cli(["login", "--username", names[1]!, "--password", `pass, "word" ${names[1]}`]));
    });

    it("client-streams a JSONL file's users, skipping blank lines", async () => {
      const names = [unique("jsonl"), unique("jsonl")];
      const path = writeFile(
        "users.jsonl",
        names.map((n) => JSON.stringify({ username: n, email: `${n}@example.com`, password: PASSWORD })).join("\n\n") + "\n",
      );
      const result = await cli(["import", path], { token: await userToken() });
      assertSucceeded(result);
      assert.deepEqual(
        printedUsers(result).map((u) => u.username),
        names,
      );
      assert.match(result.stderr, /^import: sent all 2 users; the server is creating them$/m);
      assert.match(result.stderr, /^import: created 2 users in /m);
    });

    it("a line it cannot read fails the import before the call, naming the line; nobody is created", async () => {
      const good = unique("bad_csv");
      const path = writeFile("broken.csv", `username,email,password\n${good},${good}@example.com,${PASSWORD}\nonly,two\n`);
      const result = await cli(["import", path], { token: await userToken() });
      assert.equal(result.code, 1);
      assert.equal(result.stderr, `error: ${path} line 3: expected 3 fields (username, email, password), got 2\n`);
      assert.equal(await server.store.findByUsername(good), undefined);

      const jsonl = writeFile("misspelt.jsonl", `{"usrname":"${good}"}\n`);
      const misspelt = await cli(["import", jsonl], { token: await userToken() });
      assert.equal(misspelt.code, 1);
      assert.match(misspelt.stderr, /^error: .*misspelt\.jsonl line 1: cannot decode message user\.v1\.CreateUserRequest from JSON: key "usrname" is unknown$/m);
    });

    it("an entry the server refuses fails the import with the server's code and message", async () => {
      const name = unique("dup");
      const path = writeFile(
        "duplicates.jsonl",
        [name, name].map((n) => JSON.stringify({ username: n, email: `${unique("e")}@example.com`, password: PASSWORD })).join("\n"),
      );
      const result = await cli(["import", path], { token: await userToken() });
      assert.equal(result.code, 1);
      assert.match(result.stderr, /^error: \[already_exists\] entry 1: username ".*" already appears at entry 0 of this import$/m);
    });
  });

  describe("chat", () => {
    it("two sessions exchange messages, each line typed sent to the room", async () => {
      const aliceId = randomUUID();
      const bobId = randomUUID();
      const env = (token: string) => ({ USER_SERVICE_URL: server.baseUrl, USER_SERVICE_TOKEN: token });
      const alice = startProgram(CLI, ["chat"], env(await userToken(aliceId)));
      const bob = startProgram(CLI, ["chat"], env(await userToken(bobId)));
      try {
        // A session is in the room once its own first message comes back.
        alice.write("alice is here\n");
        await alice.waitForOutput(new RegExp(`^\\d\\d:\\d\\d:\\d\\d ${aliceId}: alice is here$`, "m"));
        bob.write("bob is here\n");
        await bob.waitForOutput(new RegExp(`${bobId}: bob is here$`, "m"));
        await alice.waitForOutput(new RegExp(`${bobId}: bob is here$`, "m"));

        // Blank lines are not sent (the server would end the stream).
        alice.write("\n   \nhi bob\n");
        await bob.waitForOutput(new RegExp(`${aliceId}: hi bob$`, "m"));
        bob.write("hi alice\n");
        await alice.waitForOutput(new RegExp(`${bobId}: hi alice$`, "m"));
      } finally {
        // End of input leaves the room; the stream then ends cleanly.
        const [aliceResult, bobResult] = await Promise.all([alice.finish(), bob.finish()]);
        assertSucceeded(aliceResult);
        assertSucceeded(bobResult);
        assert.equal(aliceResult.stdout.split("\n").filter((l) => l !== "").length, 4);
      }
    });

    it("a session ends with DEADLINE_EXCEEDED at its --timeout", async () => {
      const session = startProgram(CLI, ["chat", "--timeout", "500ms"], {
        USER_SERVICE_URL: server.baseUrl,
        USER_SERVICE_TOKEN: await userToken(),
      });
      // Standard input stays open: only the deadline ends the session.
      const result = await new Promise<ProgramResult>((resolve) => session.child.once("exit", () => resolve(session.finish())));
      assert.equal(result.code, 1);
      assert.match(result.stderr, /^error: \[deadline_exceeded\] /m);
    });
  });

  describe("errors", () => {
    it("an RPC error prints its code and message and exits 1", async () => {
      const unknown = randomUUID();
      const result = await cli(["get", unknown], { token: await userToken() });
      assert.equal(result.code, 1);
      assert.equal(result.stderr, `error: [not_found] no user has id ${unknown}\n`);
      assert.equal(result.stdout, "");

      const denied = await cli(["delete", randomUUID()], { token: await userToken() });
      assert.equal(denied.code, 1);
      assert.match(denied.stderr, /^error: \[permission_denied\] only the account's owner or an admin may delete it$/m);
    });

    it("without a token, calls that need one fail before dialling, saying how to get one", async () => {
      const result = await cli(["list"]);
      assert.equal(result.code, 1);
      assert.match(result.stderr, /^error: \[unauthenticated\] no access token: pass --token or set USER_SERVICE_TOKEN/);
    });

    it("a server that is not there is UNAVAILABLE", async () => {
      const result = await cli(["get", randomUUID(), "--url", "http://127.0.0.1:1"], { token: "t" });
      assert.equal(result.code, 1);
      assert.match(result.stderr, /^error: \[unavailable\] /);
    });

    it("a mistake in the command line prints the usage and exits 2", async () => {
      const cases: [string[], RegExp][] = [
        [["get"], /^error: expected <id>, got nothing\nusage: npm run client -- get <id>\n$/],
        [["get", "--colour", "x"], /^error: Unknown option '--colour'/],
        [["get", randomUUID(), "--url", "localhost:8080"], /^error: --url must be the server's http:\/\/ or https:\/\/ address/],
        [["list", "--timeout", "soon"], /^error: --timeout must be a duration such as 500ms, 10s, 5m or 1h, got "soon"/],
        [["list", "--page-size", "lots"], /^error: --page-size must be a whole number from 0, got "lots"/],
        [["update", randomUUID()], /^error: nothing to change: give --username, --email or --role/],
        [["import", "users.txt"], /^error: say --format csv or --format jsonl/],
        [["frobnicate"], /^usage: npm run client -- <command> \[flags\]/],
      ];
      for (const [args, stderr] of cases) {
        const result = await cli(args, { token: "t" });
        assert.equal(result.code, 2, args.join(" "));
        assert.match(result.stderr, stderr, args.join(" "));
      }
    });
  });
});
