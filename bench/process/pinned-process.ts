/**
 * Child processes pinned to CPUs with taskset. taskset execs the command, so
 * the child's pid is the program's own (its /proc entry is the one to read).
 * Every child is killed when the bench exits, whatever the reason.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import { onExit } from "./exit-cleanup.js";

export interface PinnedProcessOptions {
  /** A taskset CPU list: "0", "1", "0,1". */
  readonly cpus: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** Standard output and error go to this file (appended), else they are collected in memory. */
  readonly logFile?: string;
}

export interface PinnedProcess {
  readonly pid: number;
  readonly child: ChildProcess;
  /** Resolves with the exit code (null on death by a signal). */
  readonly exited: Promise<number | null>;
  /** Output collected in memory (empty when it goes to a log file). */
  output(): { stdout: string; stderr: string };
  /** The last `chars` characters of the log file or of standard error. */
  tail(chars?: number): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
  stop(graceMs?: number): Promise<number | null>;
}

/** A program's standard output kept in memory at most (h2load prints a few KiB). */
const MAX_OUTPUT_CHARS = 1 << 20;

export function spawnPinned(command: string, args: readonly string[], options: PinnedProcessOptions): PinnedProcess {
  const logFd = options.logFile === undefined ? undefined : openSync(options.logFile, "a");
  const child = spawn("taskset", ["-c", options.cpus, command, ...args], {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: logFd === undefined ? ["ignore", "pipe", "pipe"] : ["ignore", logFd, logFd],
  });
  if (logFd !== undefined) {
    // The child holds its own copy of the descriptor.
    closeSync(logFd);
  }
  const dispose = onExit(() => child.kill("SIGKILL"));
  let stdout = "";
  let stderr = "";
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => (stdout = (stdout + chunk).slice(-MAX_OUTPUT_CHARS)));
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => (stderr = (stderr + chunk).slice(-MAX_OUTPUT_CHARS)));
  const exited = new Promise<number | null>((resolve, reject) => {
    child.once("error", reject);
    // "close": both pipes are drained, so the collected output is complete.
    child.once("close", (code) => {
      dispose();
      resolve(code);
    });
  });
  const tail = (chars = 4000) => {
    const text = options.logFile === undefined ? stderr : safeRead(options.logFile);
    return text.slice(-chars);
  };
  const stop = async (graceMs = 5_000) => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    }
    return exited;
  };
  return { pid: child.pid!, child, exited, output: () => ({ stdout, stderr }), tail, stop };
}

/** Runs a program to its end, killed after `timeoutMs`; rejects unless it exits with 0. */
export async function runPinned(
  command: string,
  args: readonly string[],
  options: PinnedProcessOptions & { readonly timeoutMs: number },
): Promise<{ stdout: string; stderr: string }> {
  const running = spawnPinned(command, args, options);
  const timer = setTimeout(() => running.child.kill("SIGKILL"), options.timeoutMs);
  const code = await running.exited.finally(() => clearTimeout(timer));
  const output = running.output();
  if (code !== 0) {
    const how = code === null ? `was killed (time limit ${options.timeoutMs} ms)` : `exited with ${code}`;
    throw new Error(`${command} ${how}\n${output.stderr.slice(-2000)}\n${output.stdout.slice(-2000)}`);
  }
  return output;
}

function safeRead(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}
