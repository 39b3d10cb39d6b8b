/** What the report says about where and how it was measured. */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import os from "node:os";
import { repoRoot } from "./servers/start-server.js";

export interface MachineFacts {
  readonly node: string;
  readonly cpuModel: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly kernel: string;
  readonly h2load: string;
  /** Commit of the code measured, with "+changes" when the work tree differs from it. */
  readonly commit: string;
  /** 1-minute load average when the run started: other work on the machine shows here. */
  readonly loadAtStart: number;
}

export function machineFacts(): MachineFacts {
  return {
    node: process.version,
    cpuModel: /^model name\s*:\s*(.+)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1] ?? os.cpus()[0]?.model ?? "unknown",
    cores: os.cpus().length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    kernel: `${os.type()} ${os.release()}`,
    h2load: tryCommand("h2load", ["--version"]).split("\n")[0] ?? "unknown",
    commit: commitDescription(),
    loadAtStart: os.loadavg()[0]!,
  };
}

function commitDescription(): string {
  const commit = tryCommand("git", ["rev-parse", "--short", "HEAD"]).trim();
  const dirty = tryCommand("git", ["status", "--porcelain", "--untracked-files=no"]).trim() !== "";
  return commit === "" ? "unknown" : `${commit}${dirty ? "+changes" : ""}`;
}

function tryCommand(command: string, args: string[]): string {
  try {
    return execFileSync(command, args, { cwd: repoRoot, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
  } catch {
    return "";
  }
}
