/** What a scenario gets from the run, and what it is. */
import type { BenchFixture } from "../fixture/bench-fixture.js";
import type { BenchPlan } from "../plan.js";
import type { Section } from "../report/results.js";
import type { RunningServer } from "../servers/start-server.js";

export interface ScenarioContext {
  readonly plan: BenchPlan;
  readonly fixture: BenchFixture;
  /** The load generator's CPUs (taskset list); the servers get "0". */
  readonly loadCpus: string;
  /** The bench user's access token, from one Login on our server (any of them: they share DATA_DIR). */
  token(server: RunningServer): Promise<string>;
  /** Progress, on standard error. */
  log(message: string): void;
}

export interface Scenario {
  readonly id: string;
  readonly title: string;
  run(ctx: ScenarioContext): Promise<Section>;
}
