/**
 * What Linux's /proc says about a process and the CPUs: resident memory,
 * CPU time. Read from outside, so the server under test needs no hooks.
 */
import { readdirSync, readFileSync } from "node:fs";

/** VmRSS of `pid`, in bytes. */
export function readRssBytes(pid: number): number {
  const kib = /^VmRSS:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
  if (kib === undefined) {
    throw new Error(`no VmRSS in /proc/${pid}/status (has the process exited?)`);
  }
  return Number(kib) * 1024;
}

/** User + system CPU time of `pid` (all its threads), in clock ticks. */
export function readProcessCpuTicks(pid: number): number {
  return cpuTicksOf(readFileSync(`/proc/${pid}/stat`, "utf8"));
}

/**
 * CPU ticks of a process's main thread (its event loop, for Node) and of
 * its other threads together (libuv's pool, V8's helpers). Node 20 leaves
 * its threads unnamed, but the main thread's id is the process's.
 */
export function readThreadCpuTicks(pid: number): { main: number; others: number } {
  let main = 0;
  let others = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    let ticks: number;
    try {
      ticks = cpuTicksOf(readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8"));
    } catch {
      continue; // the thread ended meanwhile
    }
    if (Number(tid) === pid) {
      main = ticks;
    } else {
      others += ticks;
    }
  }
  return { main, others };
}

function cpuTicksOf(stat: string): number {
  // Fields after the command name, which is in parentheses and may hold spaces.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
  return Number(fields[11]) + Number(fields[12]);
}

/** Busy and total ticks per CPU ("cpu0", "cpu1", ...) from /proc/stat. */
export function readCpuTicks(): Map<string, { busy: number; total: number }> {
  const perCpu = new Map<string, { busy: number; total: number }>();
  for (const line of readFileSync("/proc/stat", "utf8").split("\n")) {
    const match = /^(cpu\d+)\s+(.*)$/.exec(line);
    if (match === null) {
      continue;
    }
    const ticks = match[2]!.split(/\s+/).map(Number);
    // user nice system idle iowait irq softirq steal ...: idle and iowait are not busy.
    const total = ticks.reduce((sum, t) => sum + t, 0);
    perCpu.set(match[1]!, { busy: total - ticks[3]! - (ticks[4] ?? 0), total });
  }
  return perCpu;
}

/** Clock ticks per second; 100 on every Linux we run on (USER_HZ). */
export const TICKS_PER_SECOND = 100;

/** Busy share (0..1) of each CPU between two readCpuTicks() readings. */
export function cpuBusyShares(
  before: ReturnType<typeof readCpuTicks>,
  after: ReturnType<typeof readCpuTicks>,
): Map<string, number> {
  const shares = new Map<string, number>();
  for (const [cpu, end] of after) {
    const start = before.get(cpu);
    if (start !== undefined && end.total > start.total) {
      shares.set(cpu, (end.busy - start.busy) / (end.total - start.total));
    }
  }
  return shares;
}
