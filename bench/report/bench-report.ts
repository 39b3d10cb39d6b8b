/** A whole run's results, as the markdown and SVG renderers read them. */
import type { MachineFacts } from "../machine-facts.js";
import type { BenchMode } from "../plan.js";
import type { Section } from "./results.js";

export interface BenchReport {
  readonly mode: BenchMode;
  readonly startedAt: Date;
  readonly finishedAt: Date;
  readonly machine: MachineFacts;
  /** 1-minute load average at the end. */
  readonly loadAtEnd: number;
  /** How the run was started, e.g. "npm run bench". */
  readonly command: string;
  readonly sections: readonly Section[];
  /** Scenarios that failed, with why; the others still report. */
  readonly failures: readonly { readonly scenario: string; readonly error: string }[];
}
