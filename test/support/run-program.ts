/**
 * Runs one of our TypeScript programs (the example clients) as a child
 * process, the way a user runs it. Asynchronous on purpose: a server started
 * in this process must keep answering while the program calls it.
 *
 * The child's environment is this process's without USER_SERVICE_* variables
 * (a developer's token must not leak into a test), plus `env`.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export interface ProgramResult {
  /** The exit code, or null when the program died of a signal. */
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunningProgram {
  readonly child: ChildProcess;
  /** Standard output so far. */
  stdout(): string;
  /** Resolves with standard output once it matches `pattern`; rejects if the program exits first. */
  waitForOutput(pattern: RegExp): Promise<string>;
  /** Writes to the program's standard input. */
  write(text: string): void;
  /** Ends standard input and resolves when the program has exited. */
  finish(): Promise<ProgramResult>;
}

const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
const tsxLoader = import.meta.resolve("tsx");
/** A program still running after this is killed, so a hung one fails its test instead of the run. */
const KILL_AFTER_MS = 60_000;

const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of running) {
    child.kill("SIGKILL");
  }
});

/** Starts `path` (relative to the repository root) with `args`. */
export function startProgram(path: string, args: readonly string[], env: Record<string, string> = {}): RunningProgram {
  const child = spawn(process.execPath, ["--import", tsxLoader, join(repoRoot, path), ...args], {
    cwd: repoRoot,
    env: { ...withoutUserServiceVariables(process.env), ...env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  running.add(child);
  const killTimer = setTimeout(() => child.kill("SIGKILL"), KILL_AFTER_MS);
  let stdout = "";
  let stderr = "";
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  // 'close' comes after both pipes are drained, so the output is complete.
  const closed = new Promise<ProgramResult>((resolve) => {
    child.once("close", (code) => {
      clearTimeout(killTimer);
      running.delete(child);
      resolve({ code, stdout, stderr });
    });
  });

  return {
    child,
    stdout: () => stdout,
    waitForOutput(pattern) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (pattern.test(stdout)) {
            child.stdout!.off("data", check);
            resolve(stdout);
          }
        };
        child.stdout!.on("data", check);
        check();
        void closed.then((result) =>
          reject(new Error(`${path} exited (${result.code}) before printing ${pattern}\n--- stdout ---\n${stdout}\n--- stderr ---\n${stderr}`)),
        );
      });
    },
    write: (text) => child.stdin!.write(text),
    finish() {
      child.stdin!.end();
      return closed;
    },
  };
}

/** Runs `path` to its end with `input` on standard input. */
export function runProgram(
  path: string,
  args: readonly string[],
  env: Record<string, string> = {},
  input = "",
): Promise<ProgramResult> {
  const program = startProgram(path, args, env);
  program.write(input);
  return program.finish();
}

function withoutUserServiceVariables(env: NodeJS.ProcessEnv): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(env).filter(([name]) => !name.startsWith("USER_SERVICE_")));
}
