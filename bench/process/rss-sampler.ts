/** Samples a process's resident memory while something runs, keeping the peak. */
import { readRssBytes } from "./proc-stats.js";

export interface RssSampler {
  /** Stops sampling (again: reads once more); returns the first, peak and last samples, in bytes. */
  stop(): { startBytes: number; peakBytes: number; endBytes: number };
}

export function sampleRss(pid: number, intervalMs = 20): RssSampler {
  const startBytes = readRssBytes(pid);
  let peakBytes = startBytes;
  let lastBytes = startBytes;
  const timer = setInterval(() => {
    try {
      lastBytes = readRssBytes(pid);
      peakBytes = Math.max(peakBytes, lastBytes);
    } catch {
      // The process ended: the caller finds out from its own call.
    }
  }, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      try {
        lastBytes = readRssBytes(pid);
        peakBytes = Math.max(peakBytes, lastBytes);
      } catch {
        // As above.
      }
      return { startBytes, peakBytes, endBytes: lastBytes };
    },
  };
}
