/**
 * Starts the real server (server/main.ts) as a separate process, for tests
 * that need what in-process servers cannot show: its own memory use, its exit
 * code on a signal, its state after a restart.
 *
 * The port is picked by the OS (PORT=0) and learnt from Fastify's
 * "Server listening at" log line. Children are killed when the test process
 * exits, whatever the outcome of the tests; callers should still stop() them
 * in an after() hook so each file cleans up as it goes.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

export interface SpawnedServer {
  readonly pid: number;
  /** e.g. http://127.0.0.1:41234 */
  readonly baseUrl: string;
  readonly port: number;
  /** The server's resident set size now (VmRSS from /proc/<pid>/status). */
  rssBytes(): number;
  /**
   * Sends `signal` (SIGTERM by default) and resolves with the exit code, or
   * null when the process died of a signal. A server still running after
   * STOP_TIMEOUT_MS is killed. Safe to call more than once.
   */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /**
   * Resolves with the exit code (null on death by a signal) when the process
   * ends, without sending anything: for tests that signal it themselves.
   */
  readonly exited: Promise<number | null>;
}

export interface SpawnServerOptions {
  /** Added to the environment (over PORT=0, HOST=127.0.0.1, LOG_LEVEL=info). */
  readonly env?: Record<string, string>;
  /** The server's working directory; the repository root by default. */
  readonly cwd?: string;
  readonly startTimeoutMs?: number;
}

const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
const mainPath = join(repoRoot, "server", "main.ts");
// Absolute, so the server can run with any working directory: `--import tsx`
// would otherwise be resolved from the child's cwd.
const tsxLoader = import.meta.resolve("tsx");

const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;
/** How much of the child's output is kept for error messages. */
const OUTPUT_TAIL_CHARS = 8_000;
const LISTENING = /^Server listening at (http:\/\/127\.0\.0\.1:(\d+))$/;

const running = new Set<ChildProcess>();
// The last resort when a test fails before its after() hook, or never gets there.
process.once("exit", () => {
  for (const child of running) {
    child.kill("SIGKILL");
  }
});

export async function spawnServer(options: SpawnServerOptions = {}): Promise<SpawnedServer> {
  const child = spawn(process.execPath, ["--import", tsxLoader, mainPath], {
    cwd: options.cwd ?? repoRoot,
    env: {
      ...process.env,
      // tsx looks for tsconfig.json from the working directory.
      TSX_TSCONFIG_PATH: join(repoRoot, "tsconfig.json"),
      PORT: "0",
      HOST: "127.0.0.1",
      LOG_LEVEL: "info",
      ...options.env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.add(child);
  const exited = new Promise<number | null>((resolve) => {
    child.once("exit", (code) => {
      running.delete(child);
      resolve(code);
    });
  });
  const exitDescription = () =>
    child.signalCode === null ? `with code ${child.exitCode}` : `on signal ${child.signalCode}`;

  // Both pipes are read to the end: a child blocked on a full pipe would hang.
  let stdoutTail = "";
  let stderrTail = "";
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
    stderrTail = (stderrTail + chunk).slice(-OUTPUT_TAIL_CHARS);
  });
  const lines = createInterface({ input: child.stdout! });
  lines.on("line", (line) => {
    stdoutTail = (stdoutTail + line + "\n").slice(-OUTPUT_TAIL_CHARS);
  });

  const stop = async (signal: NodeJS.Signals = "SIGTERM"): Promise<number | null> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill(signal);
      const timer = setTimeout(() => child.kill("SIGKILL"), STOP_TIMEOUT_MS);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    }
    return exited;
  };

  let baseUrl: string;
  try {
    baseUrl = await waitForListening(lines, exited.then(exitDescription), options.startTimeoutMs ?? START_TIMEOUT_MS);
  } catch (e) {
    await stop("SIGKILL");
    const reason = e instanceof Error ? e.message : String(e);
    throw new Error(`server did not start: ${reason}\n--- stderr ---\n${stderrTail}\n--- stdout ---\n${stdoutTail}`);
  }

  const pid = child.pid!;
  return {
    pid,
    baseUrl,
    port: Number(new URL(baseUrl).port),
    rssBytes: () => readRssBytes(pid),
    stop,
    exited,
  };
}

function waitForListening(
  lines: ReturnType<typeof createInterface>,
  exited: Promise<string>,
  timeoutMs: number,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => finish(new Error(`no "Server listening at" log line within ${timeoutMs} ms`)), timeoutMs);
    const onLine = (line: string) => {
      const url = listeningUrl(line);
      if (url !== undefined) {
        finish(url);
      }
    };
    const finish = (outcome: string | Error) => {
      clearTimeout(timer);
      lines.off("line", onLine);
      if (typeof outcome === "string") {
        resolve(outcome);
      } else {
        reject(outcome);
      }
    };
    lines.on("line", onLine);
    void exited.then((how) => finish(new Error(`the process exited ${how} before listening`)));
  });
}

/** The URL in Fastify's pino line {"msg":"Server listening at http://..."}, if it is one. */
function listeningUrl(line: string): string | undefined {
  let record: unknown;
  try {
    record = JSON.parse(line);
  } catch {
    return undefined;
  }
  const msg = (record as { msg?: unknown } | null)?.msg;
  return typeof msg === "string" ? LISTENING.exec(msg)?.[1] : undefined;
}

function readRssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status)?.[1];
  if (kib === undefined) {
    throw new Error(`no VmRSS in /proc/${pid}/status (has the process exited?)`);
  }
  return Number(kib) * 1024;
}
