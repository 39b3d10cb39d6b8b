/**
 * Unary load with h2load (Debian's nghttp2-client), pinned to the load
 * generator's core. h2load counts HTTP 2xx as success; a run is accepted only
 * when every request got a 2xx and its answers average the size of a checked
 * success (see wire-probe.ts). Latency percentiles come from h2load's
 * per-request log.
 */
import { execFileSync } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { runPinned } from "../process/pinned-process.js";
import { formatDuration } from "../report/format.js";
import { repoRoot } from "../servers/start-server.js";
import { percentile } from "../stats/summary.js";
import type { UnaryRequest } from "./wire-probe.js";

export interface H2loadRun {
  readonly request: UnaryRequest;
  /** The request body, in a file (h2load's -d). */
  readonly bodyFile: string;
  readonly connections: number;
  readonly streamsPerConnection: number;
  /**
   * A number of requests (exact byte accounting: every request completes), or
   * a duration (a warm-up, whose rate sizes the rounds).
   */
  readonly bound: { readonly requests: number } | { readonly seconds: number };
  /** The body size of a checked success (probeUnary). */
  readonly expectedResponseBytes: number;
  /** Where h2load writes its per-request log (removed after reading). */
  readonly logFile: string;
  /** The load generator's CPUs. */
  readonly cpus: string;
}

export interface H2loadResult {
  readonly requestsPerSecond: number;
  readonly succeeded: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

/** Installs h2load when it is missing (as root or with sudo), or says how to. */
export function ensureH2load(): void {
  execFileSync("bash", [join(repoRoot, "scripts/ensure-command.sh"), "h2load", "nghttp2-client"], { stdio: "inherit" });
}

export function h2loadArgs(run: H2loadRun, show: (header: string, value: string) => string = (_, v) => v): string[] {
  const args = run.request.protocol.httpVersion === "1.1" ? ["--h1"] : [];
  args.push("-c", String(run.connections), "-m", String(run.streamsPerConnection));
  args.push(...("requests" in run.bound ? ["-n", String(run.bound.requests)] : ["-D", formatDuration(run.bound.seconds)]));
  args.push("-d", run.bodyFile);
  for (const [name, value] of Object.entries(run.request.headers)) {
    args.push("-H", `${name}: ${show(name, value)}`);
  }
  args.push("--log-file", run.logFile, `${run.request.url}${run.request.path}`);
  return args;
}

/** The command as the report shows it: the token and temporary paths by name. */
export function h2loadCommand(run: H2loadRun): string {
  const args = h2loadArgs(run, (name, value) => (name === "authorization" ? "Bearer $TOKEN" : value))
    .map((arg) => (arg === run.bodyFile ? "$GET_USER_BODY" : arg === run.logFile ? "$LOG" : arg))
    .map((arg) => (/^[\w./:$=-]+$/.test(arg) ? arg : arg.includes("$") ? `"${arg}"` : `'${arg}'`));
  return `taskset -c ${run.cpus} h2load ${args.join(" ")}`.replace(/127\.0\.0\.1:\d+/, "127.0.0.1:$PORT");
}

/**
 * Runs h2load, killed after `timeoutMs`. A run bounded by requests gets the
 * caller's estimate of its duration: a server that slows down tenfold fails
 * the run instead of stretching the bench.
 */
export async function runH2load(run: H2loadRun, timeoutMs: number): Promise<H2loadResult> {
  const { stdout } = await runPinned("h2load", h2loadArgs(run), { cpus: run.cpus, timeoutMs });
  try {
    const result = parseSummary(stdout, run);
    const latencies = readLatenciesMs(run.logFile);
    return { ...result, p50Ms: percentile(latencies, 0.5), p99Ms: percentile(latencies, 0.99) };
  } finally {
    rmSync(run.logFile, { force: true });
  }
}

function parseSummary(stdout: string, run: H2loadRun): Omit<H2loadResult, "p50Ms" | "p99Ms"> {
  const target = `${run.request.protocol.label} ${run.request.url}`;
  const number = (pattern: RegExp, what: string) => {
    const match = pattern.exec(stdout);
    if (match === null) {
      throw new Error(`${target}: no ${what} in h2load's output:\n${stdout}`);
    }
    return Number(match[1]);
  };
  const requestsPerSecond = number(/finished in [\d.]+\w+, ([\d.]+) req\/s/, "req/s");
  const started = number(/(\d+) started/, "started count");
  const succeeded = number(/(\d+) succeeded/, "succeeded count");
  const failed = number(/(\d+) failed/, "failed count") + number(/(\d+) errored/, "errored count") + number(/(\d+) timeout/, "timeout count");
  const not2xx = number(/(\d+) 3xx/, "3xx") + number(/(\d+) 4xx/, "4xx") + number(/(\d+) 5xx/, "5xx");
  const dataBytes = number(/\((\d+)\) data/, "data bytes");
  if (succeeded === 0 || failed > 0 || not2xx > 0) {
    throw new Error(`${target}: ${succeeded} succeeded, ${failed} failed, ${not2xx} not 2xx:\n${stdout}`);
  }
  // An error answer (grpc-status other than 0 in an HTTP 200) is shorter than a success. A run
  // bounded by time also counts bytes of the requests still open when it stopped (started, not done).
  const expected = run.expectedResponseBytes;
  if (dataBytes < succeeded * expected || dataBytes > started * expected) {
    throw new Error(
      `${target}: ${dataBytes} bytes of answers for ${succeeded} successes of ${expected} bytes each ` +
        `(${started} started): some calls did not succeed although HTTP said 2xx`,
    );
  }
  return { requestsPerSecond, succeeded };
}

/** Per-request durations of 2xx answers, sorted, in ms. Lines: start (µs since epoch), status, duration (µs). */
function readLatenciesMs(logFile: string): Float64Array {
  const durations: number[] = [];
  for (const line of readFileSync(logFile, "utf8").split("\n")) {
    const [, status, micros] = line.split("\t");
    if (status !== undefined && status.startsWith("2")) {
      durations.push(Number(micros) / 1000);
    }
  }
  return Float64Array.from(durations).sort();
}
