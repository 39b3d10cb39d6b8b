/**
 * Runs scenarios one after the other and gathers their sections into a
 * report. A failed scenario is reported and the others still run; its
 * servers are stopped by the scenario itself, and anything left is killed at
 * exit (process/exit-cleanup.ts).
 */
import os from "node:os";
import { createFixture } from "./fixture/bench-fixture.js";
import { logIn } from "./fixture/log-in.js";
import { ensureH2load } from "./load/h2load.js";
import { machineFacts } from "./machine-facts.js";
import type { BenchPlan } from "./plan.js";
import type { BenchReport } from "./report/bench-report.js";
import type { Section } from "./report/results.js";
import type { Scenario, ScenarioContext } from "./scenarios/scenario.js";
import type { RunningServer } from "./servers/start-server.js";

export interface BenchOptions {
  readonly plan: BenchPlan;
  readonly scenarios: readonly Scenario[];
  /** How the run was started, for the report. */
  readonly command: string;
  readonly log?: (message: string) => void;
  /** Called with each section as soon as its scenario ends. */
  readonly onSection?: (section: Section) => void;
}

/** The load generator's core: the servers have CPU 0 to themselves. */
export const LOAD_CPUS = "1";

export async function runBench(options: BenchOptions): Promise<BenchReport> {
  const log = options.log ?? ((message: string) => process.stderr.write(`${message}\n`));
  if (os.cpus().length < 2) {
    throw new Error("the bench needs 2 CPUs: one for the server under test, one for the load");
  }
  ensureH2load();
  const startedAt = new Date();
  const machine = machineFacts();
  const fixture = await createFixture();
  let token: Promise<string> | undefined;
  const ctx: ScenarioContext = {
    plan: options.plan,
    fixture,
    loadCpus: LOAD_CPUS,
    token: (server: RunningServer) => (token ??= logIn(server.url, fixture.user.username, fixture.password)),
    log,
  };
  const sections: Section[] = [];
  const failures: { scenario: string; error: string }[] = [];
  for (const scenario of options.scenarios) {
    log(`== ${scenario.title}`);
    try {
      const section = await scenario.run(ctx);
      sections.push(section);
      options.onSection?.(section);
    } catch (e) {
      const error = e instanceof Error ? (e.stack ?? e.message) : String(e);
      log(`${scenario.title} FAILED: ${error}`);
      failures.push({ scenario: scenario.title, error });
    }
  }
  return {
    mode: options.plan.mode,
    startedAt,
    finishedAt: new Date(),
    machine,
    loadAtEnd: os.loadavg()[0]!,
    command: options.command,
    sections,
    failures,
  };
}
