/**
 * `npm run bench` (full, about 15 minutes) and `QUICK=1 npm run bench` (under
 * 2 minutes). The npm script starts this process on CPU 1 (taskset), the load
 * generator's core; servers run on CPU 0. BENCH_ONLY=unary,chat runs some
 * scenarios only. Tables go to standard output, progress to standard error,
 * the report to bench/results/.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { benchPlan } from "./plan.js";
import { renderTable } from "./report/markdown.js";
import { writeResults } from "./report/write-results.js";
import { LOAD_CPUS, runBench } from "./run-bench.js";
import { allScenarios } from "./scenarios/all-scenarios.js";
import { repoRoot } from "./servers/start-server.js";

/** A run that takes longer than this has hung somewhere: everything is killed. */
const TIME_LIMIT_MS = { full: 60 * 60_000, quick: 4 * 60_000, smoke: 60_000 };

const quick = process.env.QUICK === "1";
const plan = benchPlan(quick ? "quick" : "full");
const only = process.env.BENCH_ONLY?.split(",").map((id) => id.trim());
const scenarios = allScenarios().filter((s) => only === undefined || only.includes(s.id));
if (scenarios.length === 0) {
  throw new Error(`BENCH_ONLY names no scenario; there are: ${allScenarios().map((s) => s.id).join(", ")}`);
}

const affinity = /^Cpus_allowed_list:\s*(\S+)$/m.exec(readFileSync("/proc/self/status", "utf8"))?.[1];
if (affinity !== LOAD_CPUS) {
  process.stderr.write(`warning: the bench runs on CPUs ${affinity}, not ${LOAD_CPUS}: start it with npm run bench\n`);
}
// Exits through process.exit, so the exit hooks kill every child.
setTimeout(() => {
  process.stderr.write(`the bench ran over ${TIME_LIMIT_MS[plan.mode] / 60_000} minutes: stopping it\n`);
  process.exit(1);
}, TIME_LIMIT_MS[plan.mode]).unref();

const command = `${quick ? "QUICK=1 " : ""}${only ? `BENCH_ONLY=${only.join(",")} ` : ""}npm run bench`;
const report = await runBench({
  plan,
  scenarios,
  command,
  onSection: (section) => process.stdout.write(`\n## ${section.title}\n\n${renderTable(section)}\n`),
});
const written = writeResults(report, join(repoRoot, "bench", "results"));
process.stderr.write(`\nwritten: ${written.join(", ")}\n`);
process.exitCode = report.failures.length === 0 ? 0 : 1;
