/**
 * Writes the report under bench/results/: latest.md and latest.svg, and a
 * dated copy of a full run. A QUICK run writes latest-quick.* instead, so a
 * quick check never replaces the full run's committed figures.
 */
import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { BenchReport } from "./bench-report.js";
import { renderMarkdown } from "./markdown.js";
import { renderSvg } from "./svg-chart.js";

export function writeResults(report: BenchReport, dir: string): string[] {
  mkdirSync(dir, { recursive: true });
  const base = report.mode === "full" ? "latest" : `latest-${report.mode}`;
  const caption = `user-service bench, ${report.mode} run, ${report.startedAt.toISOString().slice(0, 16)}Z, Node ${report.machine.node}, ${report.machine.cores} cores (noisy shared machine)`;
  const svg = renderSvg(report.sections.flatMap((s) => s.charts), caption);
  writeFileSync(join(dir, `${base}.svg`), svg);
  writeFileSync(join(dir, `${base}.md`), renderMarkdown(report, `${base}.svg`));
  const written = [join(dir, `${base}.md`), join(dir, `${base}.svg`)];
  if (report.mode === "full") {
    const dated = report.startedAt.toISOString().slice(0, 10);
    copyFileSync(join(dir, `${base}.svg`), join(dir, `${dated}.svg`));
    writeFileSync(join(dir, `${dated}.md`), renderMarkdown(report, `${dated}.svg`));
    written.push(join(dir, `${dated}.md`), join(dir, `${dated}.svg`));
  }
  return written;
}
