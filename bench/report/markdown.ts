/** The report as markdown: machine facts, then each scenario's table, notes and commands. */
import type { BenchReport } from "./bench-report.js";
import { formatNumber } from "./format.js";
import type { Cell, Section } from "./results.js";

export function renderMarkdown(report: BenchReport, chartFile: string): string {
  const { machine } = report;
  const lines = [
    `# Benchmark results (${report.mode} run)`,
    "",
    `${report.startedAt.toISOString()} – ${report.finishedAt.toISOString()}, \`${report.command}\` at commit ${machine.commit}.`,
    "",
    `- Node ${machine.node}, ${machine.cpuModel}, ${machine.cores} cores, ${machine.memoryGiB} GiB, ${machine.kernel}`,
    `- ${machine.h2load}; load average (1 min) ${machine.loadAtStart.toFixed(2)} at the start, ${report.loadAtEnd.toFixed(2)} at the end`,
    "- Servers alone on CPU 0 (`taskset -c 0`), the load generator on CPU 1, over loopback; every figure is the median of " +
      "interleaved rounds with its min–max spread; ratios divide medians measured in the same run.",
    "",
    "> **Noisy machine.** This machine is shared with other engineers' test runs while the bench runs, so absolute " +
      "figures move from run to run (and between rounds: see the spreads). Compare ratios within one run, not figures " +
      "across runs; rerun on a quiet machine before quoting numbers.",
    "",
    `![Charts of the figures below](${chartFile})`,
    "",
  ];
  for (const failure of report.failures) {
    lines.push(`> **${failure.scenario} failed:** ${failure.error.split("\n")[0]}`, "");
  }
  for (const section of report.sections) {
    lines.push(...renderSection(section), "");
  }
  return lines.join("\n");
}

export function renderSection(section: Section): string[] {
  const lines = [`## ${section.title}`, "", ...section.about.flatMap((p) => [p, ""]), renderTable(section), ""];
  if (section.notes.length > 0) {
    lines.push(...section.notes.map((note) => `- ${note}`), "");
  }
  if (section.commands.length > 0) {
    lines.push("```sh", ...section.commands, "```");
  }
  return lines;
}

/** The table alone: what the bench prints to standard output. */
export function renderTable(section: Section): string {
  const header = `| ${section.columns.map((c) => c.title).join(" | ")} |`;
  const rule = `|${section.columns.map(() => "---").join("|")}|`;
  const rows = section.rows.map((row) => `| ${section.columns.map((c) => renderCell(row[c.key])).join(" | ")} |`);
  return [header, rule, ...rows].join("\n");
}

function renderCell(cell: Cell | undefined): string {
  if (cell === undefined) {
    return "";
  }
  if ("text" in cell) {
    return cell.text;
  }
  if ("ratio" in cell) {
    return `${cell.ratio.toFixed(2)}×`;
  }
  const { median, min, max, n } = cell.figure;
  const digits = cell.digits;
  return n === 1 ? formatNumber(median, digits) : `${formatNumber(median, digits)} (${formatNumber(min, digits)}–${formatNumber(max, digits)})`;
}
