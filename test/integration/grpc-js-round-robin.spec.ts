/**
 * The grpc-js example (examples/grpc-js) against two server processes that
 * share one SQLite database (WAL lets both use the file) and one JWT secret:
 * round_robin spreads its calls over both, and when one dies mid-run the
 * client's calls still succeed, retried on the survivor.
 *
 * Which server answered each call is what grpc-js reports as the call's
 * peer (its address): the example prints it, and each server has its own port.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import { spawnServer, type SpawnedServer } from "../support/spawn-server.js";
import { startProgram } from "../support/run-program.js";
import { assertEachCallSentItsTrace, createSpanCapture } from "../support/span-capture.js";
import { startServer, TEST_JWT_SECRET } from "../support/start-server.js";

const CALLS = 150;
/** Calls made before one server is stopped. */
const CALLS_BEFORE_FAILURE = 40;
const CALL_LINE = /^call (\d+): (?:answered by 127\.0\.0\.1:(\d+)(?: after (\d+) failed attempt\(s\))?|failed with (.*))$/gm;

interface CallOutcome {
  readonly call: number;
  /** The port of the server that answered; undefined for a failed call. */
  readonly port?: number;
  readonly retries: number;
  readonly failure?: string;
}

function outcomes(stdout: string): CallOutcome[] {
  return [...stdout.matchAll(CALL_LINE)].map((m) => ({
    call: Number(m[1]),
    port: m[2] === undefined ? undefined : Number(m[2]),
    retries: Number(m[3] ?? 0),
    failure: m[4],
  }));
}

describe("the grpc-js round_robin example against two servers", { timeout: 120_000 }, () => {
  let dir: string;
  let contract: string;
  let servers: SpawnedServer[];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "round-robin-"));
    // The example reads the compiled contract, as `npm run descriptors` writes it.
    contract = join(dir, "contract.binpb");
    await promisify(execFile)("bash", ["scripts/build-image.sh", contract]);
    const env = {
      DATA_DIR: dir,
      DATABASE_PATH: join(dir, "users.db"),
      JWT_SECRET: TEST_JWT_SECRET,
      PASSWORD_HASH_COST: "10",
      RATE_LIMIT_LOGIN: "off",
      RATE_LIMIT_ANONYMOUS: "off",
      RATE_LIMIT_USER: "off",
    };
    // One after the other: both apply the schema migrations at start.
    servers = [await spawnServer({ env }), await spawnServer({ env })];
  });

  after(async () => {
    await Promise.all(servers.map((s) => s.stop("SIGKILL")));
    rmSync(dir, { recursive: true, force: true });
  });

  it("spreads calls over both servers and loses none when one dies mid-run", async () => {
    const [survivor, victim] = servers as [SpawnedServer, SpawnedServer];
    const target = `ipv4:127.0.0.1:${survivor.port},127.0.0.1:${victim.port}`;
    const client = startProgram("examples/grpc-js/main.ts", [
      "--target", target,
      "--calls", String(CALLS),
      "--interval-ms", "10",
      "--contract", contract,
    ]);

    await client.waitForOutput(new RegExp(`^call ${CALLS_BEFORE_FAILURE}: `, "m"));
    // Frozen first, so the next call sent to it is in flight when it dies:
    // that call must be retried on the other server, not failed.
    process.kill(victim.pid, "SIGSTOP");
    await sleep(500);
    const lastCallBeforeDeath = outcomes(client.stdout()).length;
    await victim.stop("SIGKILL");
    const result = await client.finish();

    assert.equal(result.code, 0, `the client failed\n--- stdout ---\n${result.stdout}\n--- stderr ---\n${result.stderr}`);
    const all = outcomes(result.stdout);
    assert.deepEqual(
      all.map((o) => o.call),
      Array.from({ length: CALLS }, (_, i) => i + 1),
    );
    assert.deepEqual(all.filter((o) => o.failure !== undefined), [], "no call failed");

    const before = all.slice(0, CALLS_BEFORE_FAILURE);
    for (const server of servers) {
      const answered = before.filter((o) => o.port === server.port).length;
      // round_robin alternates between ready servers; the first calls may
      // all go to whichever connected first.
      assert.ok(answered >= CALLS_BEFORE_FAILURE / 4, `port ${server.port} answered ${answered} of the first ${CALLS_BEFORE_FAILURE} calls`);
    }

    const inFlight = all[lastCallBeforeDeath];
    assert.ok(inFlight !== undefined);
    assert.equal(inFlight.port, survivor.port, "the call in flight at the death was answered by the survivor");
    assert.ok(inFlight.retries >= 1, `the call in flight was retried (${inFlight.retries} failed attempts)`);
    assert.deepEqual(
      all.slice(lastCallBeforeDeath).filter((o) => o.port !== survivor.port),
      [],
      "every later call went to the survivor",
    );
    assert.match(result.stdout, new RegExp(`^127\\.0\\.0\\.1:${victim.port} answered \\d+ calls$`, "m"));
  });

  it("sends every call with a W3C traceparent of its own (to one server, in this process)", async () => {
    const spans = createSpanCapture();
    const server = await startServer({ tracerProvider: spans.tracerProvider });
    try {
      const args = ["--target", `ipv4:127.0.0.1:${server.port}`, "--calls", "3", "--interval-ms", "0", "--contract", contract];
      const result = await startProgram("examples/grpc-js/main.ts", args).finish();
      assert.equal(result.code, 0, `the client failed\n--- stdout ---\n${result.stdout}\n--- stderr ---\n${result.stderr}`);
      // Sign-up, login and the three reads.
      assert.equal(spans.rpcSpans().length, 5);
      assertEachCallSentItsTrace(spans.rpcSpans());
    } finally {
      await server.close();
    }
  });
});
