/**
 * Starts a server under test as its own process, pinned to its CPUs, on a
 * port of the bench's range, with its output in a log file of the run's
 * folder (kept until the run ends, and quoted when the server fails).
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { takeFreePort, waitForPort } from "../process/free-port.js";
import { spawnPinned, type PinnedProcess } from "../process/pinned-process.js";
import { readRssBytes } from "../process/proc-stats.js";

export interface ServerSpec {
  /** Stable and unique within a scenario: "ours", "grpc-js-memory", ... */
  readonly id: string;
  /** How tables name it. */
  readonly label: string;
  /** The program, relative to the repository root. */
  readonly entry: string;
  /** Its environment (beside PATH, HOME, HOST and PORT, which every server gets). */
  readonly env: Readonly<Record<string, string>>;
  /** A taskset CPU list: the server's own core, "0", unless a scenario says otherwise. */
  readonly cpus?: string;
}

export interface RunningServer {
  readonly spec: ServerSpec;
  readonly pid: number;
  readonly port: number;
  /** http://127.0.0.1:PORT */
  readonly url: string;
  rssBytes(): number;
  /** The end of the server's log, for error messages. */
  logTail(): string;
  /** SIGTERM (a graceful shutdown), SIGKILL if it takes too long. */
  stop(): Promise<void>;
}

export const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
// Absolute, so that the loader resolves from any working directory.
const tsxLoader = import.meta.resolve("tsx");
const START_TIMEOUT_MS = 60_000;

export async function startServer(spec: ServerSpec, logDir: string): Promise<RunningServer> {
  const port = await takeFreePort();
  const logFile = join(logDir, `${spec.id}-${port}.log`);
  const child: PinnedProcess = spawnPinned(process.execPath, ["--import", tsxLoader, join(repoRoot, spec.entry)], {
    cpus: spec.cpus ?? "0",
    cwd: repoRoot,
    logFile,
    // Nothing of the caller's environment (a developer's PORT or LOG_LEVEL) leaks in.
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: process.env.HOME ?? "/tmp",
      TSX_TSCONFIG_PATH: join(repoRoot, "tsconfig.json"),
      HOST: "127.0.0.1",
      PORT: String(port),
      ...spec.env,
    },
  });
  try {
    await waitForPort(port, START_TIMEOUT_MS, child.exited);
  } catch (e) {
    await child.stop(1_000);
    throw new Error(`${spec.label} did not start: ${(e as Error).message}\n--- its log ---\n${child.tail()}`);
  }
  return {
    spec,
    pid: child.pid,
    port,
    url: `http://127.0.0.1:${port}`,
    rssBytes: () => readRssBytes(child.pid),
    logTail: () => child.tail(),
    stop: async () => void (await child.stop()),
  };
}

/** The command line that starts `spec`, as the report shows it: the run's temporary folder as $RUN_DIR. */
export function serverCommand(spec: ServerSpec, runDir: string): string {
  const env = Object.entries(spec.env).map(([name, value]) => `${name}=${value.split(runDir).join("$RUN_DIR")}`);
  return `taskset -c ${spec.cpus ?? "0"} env ${env.join(" ")} PORT=$PORT node --import tsx ${spec.entry}`;
}

/** Starts every server at once (each is pinned, so they do not slow each other while idle). */
export async function startServers(specs: readonly ServerSpec[], logDir: string): Promise<RunningServer[]> {
  const started = await Promise.allSettled(specs.map((spec) => startServer(spec, logDir)));
  const failed = started.find((s): s is PromiseRejectedResult => s.status === "rejected");
  if (failed !== undefined) {
    await stopServers(started.flatMap((s) => (s.status === "fulfilled" ? [s.value] : [])));
    throw failed.reason;
  }
  return started.map((s) => (s as PromiseFulfilledResult<RunningServer>).value);
}

export async function stopServers(servers: readonly RunningServer[]): Promise<void> {
  await Promise.all(servers.map((server) => server.stop()));
}
