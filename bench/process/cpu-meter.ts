/**
 * CPU use over an interval: of a server (all its threads, libuv's pool
 * included), of the bench process itself (the load generator), and of each
 * core of the machine (whoever used it). A server at 1.0 core on its pinned
 * core is the bottleneck; a load generator near 1.0 would be.
 */
import { cpuBusyShares, readCpuTicks, readProcessCpuTicks, readThreadCpuTicks, TICKS_PER_SECOND } from "./proc-stats.js";

export interface CpuUse {
  /** Cores' worth of CPU time per second of wall time. */
  readonly serverCores: number;
  /** The server's main thread (its event loop) alone, and its other threads (libuv's pool, V8's helpers). */
  readonly serverMainThreadCores: number;
  readonly serverOtherThreadsCores: number;
  readonly benchCores: number;
  /** Busy share of each core, "cpu0" → 0.97. */
  readonly perCpu: ReadonlyMap<string, number>;
}

export function meterCpu(serverPid: number): { stop(): CpuUse } {
  const started = performance.now();
  const server = readProcessCpuTicks(serverPid);
  const threads = readThreadCpuTicks(serverPid);
  const bench = process.cpuUsage();
  const cpus = readCpuTicks();
  return {
    stop() {
      const seconds = (performance.now() - started) / 1000;
      const benchUse = process.cpuUsage(bench);
      const cores = (ticks: number) => ticks / TICKS_PER_SECOND / seconds;
      const threadsNow = readThreadCpuTicks(serverPid);
      return {
        serverCores: cores(readProcessCpuTicks(serverPid) - server),
        serverMainThreadCores: cores(threadsNow.main - threads.main),
        serverOtherThreadsCores: cores(threadsNow.others - threads.others),
        benchCores: (benchUse.user + benchUse.system) / 1e6 / seconds,
        perCpu: cpuBusyShares(cpus, readCpuTicks()),
      };
    },
  };
}
