/**
 * Scenario 5: what request logs, metrics and tracing cost. The unary gRPC
 * GetUser load of scenario 1 on our server with each feature on alone, with
 * all on, and with none (LOG_LEVEL=warn, METRICS=off, no tracing), in interleaved rounds.
 * A feature the server does not have (yet) gets a "not available" row.
 */
import type { H2loadResult } from "../load/h2load.js";
import { startOtlpSink, type OtlpSink } from "../load/otlp-sink.js";
import { unaryProtocol } from "../load/unary-protocols.js";
import { probeUnary } from "../load/wire-probe.js";
import { formatRate } from "../report/format.js";
import { ratio, summaryOf, text, type Row, type Section } from "../report/results.js";
import { ourServer } from "../servers/catalog.js";
import { serverCommand, startServer, stopServers, type RunningServer } from "../servers/start-server.js";
import { runInterleaved } from "../stats/interleave.js";
import { FEATURES, type FeatureId } from "./observability-features.js";
import type { Scenario, ScenarioContext } from "./scenario.js";
import { getUserRequest, unaryFigures, unaryTrial, type UnaryTrial } from "./unary-trial.js";

const PROBE_CALLS = 5;
const grpc = unaryProtocol("grpc");

interface Config {
  readonly key: string;
  readonly label: string;
  readonly features: readonly FeatureId[];
}

type Outcome = { config: Config; server: RunningServer; sink: OtlpSink } | { config: Config; unavailable: string };

const SINGLE_CONFIGS: readonly Config[] = [
  { key: "baseline", label: "none (LOG_LEVEL=warn, METRICS=off, no tracing)", features: [] },
  ...FEATURES.map((f) => ({ key: f.id, label: `+ ${f.label}`, features: [f.id] })),
];

export const observabilityOverhead: Scenario = {
  id: "observability",
  title: "Observability overhead",
  async run(ctx) {
    const database = await ctx.fixture.database("small", ctx.plan.smallDatabaseUsers);
    const outcomes = await Promise.all(SINGLE_CONFIGS.map((config) => bringUp(ctx, database, config)));
    // All on: logs and whatever else this server has.
    const available = outcomes.flatMap((o) => ("server" in o ? o.config.features : []));
    const all: Config = { key: "all", label: `all available on (${available.join(", ")})`, features: available };
    if (available.length > 1) {
      outcomes.push(await bringUp(ctx, database, all));
    } else {
      outcomes.push({ config: all, unavailable: "the same as the row above: no feature but request logs is available" });
    }
    const running = outcomes.flatMap((o) => ("server" in o ? [o] : []));
    try {
      const token = await ctx.token(running[0]!.server);
      const trials = running.map((o) => ({ ...unaryTrial(ctx, o.server, grpc, token, ctx.plan.observability), key: o.config.key }));
      const results = await runInterleaved(trials, {
        rounds: ctx.plan.observability.rounds,
        onResult: (trial, round, r) =>
          ctx.log(`observability: round ${round + 1} ${trial.server.spec.label}: ${formatRate(r.requestsPerSecond)} req/s`),
      });
      return overheadSection(ctx, outcomes, trials, results);
    } finally {
      await stopServers(running.map((o) => o.server));
      await Promise.all(outcomes.flatMap((o) => ("sink" in o ? [o.sink.close()] : [])));
    }
  },
};

/** Starts the server for `config` and checks every feature is on; else says why not, and stops it. */
async function bringUp(ctx: ScenarioContext, database: string, config: Config): Promise<Outcome> {
  const sink = await startOtlpSink();
  const features = FEATURES.filter((f) => config.features.includes(f.id));
  const spec = ourServer(ctx.fixture, database, {
    id: `ours-${config.key}`,
    label: config.label,
    // Metrics are on as shipped: off here unless the configuration turns them on.
    env: Object.assign({ METRICS: "off" }, ...features.map((f) => f.env(sink))),
  });
  let server: RunningServer;
  try {
    server = await startServer(spec, ctx.fixture.logDir);
  } catch (e) {
    await sink.close();
    const firstLines = (e as Error).message.split("\n").find((line) => /Error|error/.test(line)) ?? "it did not start";
    return { config, unavailable: `the server refused these settings: ${firstLines.slice(0, 200)}` };
  }
  await probeUnary(getUserRequest(ctx, server, grpc, await ctx.token(server)), PROBE_CALLS, ctx.fixture.user.id);
  for (const feature of features) {
    const missing = await feature.missing(server, sink);
    if (missing !== undefined) {
      await server.stop();
      await sink.close();
      return { config, unavailable: `${feature.id}: ${missing}` };
    }
  }
  return { config, server, sink };
}

function overheadSection(
  ctx: ScenarioContext,
  outcomes: readonly Outcome[],
  trials: readonly UnaryTrial[],
  results: Map<string, H2loadResult[]>,
): Section {
  const baseline = unaryFigures(results.get("baseline"))?.rate;
  const rows: Row[] = outcomes.map((outcome) => {
    const label = text(outcome.config.label);
    if ("unavailable" in outcome) {
      return { config: label, rate: text(`not available: ${outcome.unavailable}`) };
    }
    const own = unaryFigures(results.get(outcome.config.key))!;
    const relative = outcome.config.key === "baseline" ? undefined : ratio(own.rate, baseline);
    return {
      config: label,
      ...own,
      ratio: relative,
      cost: relative && "ratio" in relative ? text(`${((1 - relative.ratio) * 100).toFixed(1)}%`) : undefined,
    };
  });
  rows.push({
    config: text("− authentication"),
    rate: text("not available: the server has no switch to turn the token check off (GetUser always needs one)"),
  });
  const { rounds, seconds } = ctx.plan.observability;
  return {
    id: "observability",
    title: "Observability overhead",
    about: [
      `Unary gRPC GetUser as in the first scenario (same load, checks and pinning), on one server per configuration, ` +
        `${rounds} interleaved rounds of ${seconds} s. Authentication is on in every row. A configuration's server is checked ` +
        "after a few calls: request logs must appear in its log, metrics at `GET /metrics` (Prometheus text), spans at a " +
        "local OTLP/HTTP sink in the bench process; a feature without a sign gets a \"not available\" row.",
      "The switches (`LOG_LEVEL=info`, `METRICS=on`, `OTEL_TRACES_EXPORTER=otlp` with `OTEL_EXPORTER_OTLP_*`) are in " +
        "`bench/scenarios/observability-features.ts`. Request logs go to a file, as JSON.",
    ],
    columns: [
      { key: "config", title: "on besides auth" },
      { key: "rate", title: "req/s median (min–max)" },
      { key: "p50", title: "p50 ms" },
      { key: "p99", title: "p99 ms" },
      { key: "ratio", title: "× none" },
      { key: "cost", title: "throughput cost (target ≤ 10% all on)" },
    ],
    rows,
    charts: [
      {
        title: "Unary gRPC GetUser with observability features",
        unit: "req/s",
        bars: trials.map((trial) => ({ label: trial.server.spec.label, summary: summaryOf(unaryFigures(results.get(trial.key))?.rate)! })),
      },
    ],
    commands: [...trials.map((trial) => serverCommand(trial.server.spec, ctx.fixture.workDir)), ...trials.slice(0, 1).map((t) => t.command())],
    notes: [],
  };
}
