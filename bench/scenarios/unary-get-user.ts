/**
 * Scenario 1: unary GetUser under load, over gRPC, Connect binary (HTTP/2),
 * gRPC-Web and Connect JSON (HTTP/1.1), on our server as shipped and on the
 * anchors that speak each protocol, in interleaved rounds.
 */
import type { H2loadResult } from "../load/h2load.js";
import { unaryProtocol, type UnaryProtocolId } from "../load/unary-protocols.js";
import { formatRate } from "../report/format.js";
import { ratio, summaryOf, text, type Cell, type Row, type Section } from "../report/results.js";
import { anchorServer, ourServer, type AnchorId } from "../servers/catalog.js";
import { serverCommand, startServers, stopServers, type RunningServer } from "../servers/start-server.js";
import { runInterleaved } from "../stats/interleave.js";
import type { Scenario, ScenarioContext } from "./scenario.js";
import { unaryFigures, unaryTrial, type UnaryTrial } from "./unary-trial.js";

export type ServerId = "ours" | AnchorId;
export type UnaryMatrix = readonly { readonly protocol: UnaryProtocolId; readonly servers: readonly ServerId[] }[];

/** Which servers answer which protocol: every anchor speaks only some. */
export const FULL_MATRIX: UnaryMatrix = [
  { protocol: "grpc", servers: ["ours", "grpc-js-memory", "grpc-js-sqlite", "raw-http2"] },
  { protocol: "connect-proto", servers: ["ours", "raw-http2"] },
  { protocol: "grpc-web", servers: ["ours", "raw-http2"] },
  { protocol: "connect-json", servers: ["ours", "fastify-json"] },
];

/** The ratio columns: each anchor, compared within the same protocol. */
const ANCHOR_COLUMNS: readonly { id: AnchorId; title: string }[] = [
  { id: "grpc-js-memory", title: "× grpc-js (memory)" },
  { id: "grpc-js-sqlite", title: "× grpc-js (SQLite + token)" },
  { id: "raw-http2", title: "× raw floor" },
  { id: "fastify-json", title: "× Fastify JSON" },
];

export function unaryGetUser(matrix: UnaryMatrix = FULL_MATRIX): Scenario {
  return {
    id: "unary",
    title: "Unary GetUser",
    async run(ctx) {
      const { plan, fixture } = ctx;
      const database = await fixture.database("small", plan.smallDatabaseUsers);
      const wanted = [...new Set(matrix.flatMap((m) => m.servers))];
      ctx.log(`unary: starting ${wanted.join(", ")}`);
      const servers = await startServers(
        wanted.map((id) => (id === "ours" ? ourServer(fixture, database) : anchorServer(id, fixture, database))),
        fixture.logDir,
      );
      try {
        const byId = new Map(servers.map((server) => [server.spec.id, server]));
        const token = await ctx.token(byId.get("ours")!);
        const trials = matrix.flatMap(({ protocol, servers: ids }) =>
          ids.map((id) => unaryTrial(ctx, byId.get(id)!, unaryProtocol(protocol), token, plan.unary)),
        );
        const results = await runInterleaved(trials, {
          rounds: plan.unary.rounds,
          onResult: (trial, round, result) =>
            ctx.log(`unary: round ${round + 1}/${plan.unary.rounds} ${trial.label}: ${formatRate(result.requestsPerSecond)} req/s`),
        });
        return unarySection(ctx, trials, results, servers);
      } finally {
        await stopServers(servers);
      }
    },
  };
}

function unarySection(
  ctx: ScenarioContext,
  trials: readonly UnaryTrial[],
  results: Map<string, H2loadResult[]>,
  servers: readonly RunningServer[],
): Section {
  const rate = (key: string) => unaryFigures(results.get(key))?.rate;
  const rows: Row[] = trials.map((trial) => {
    const own = unaryFigures(results.get(trial.key))!;
    const ratios: Record<string, Cell | undefined> = {};
    for (const column of ANCHOR_COLUMNS) {
      if (column.id !== trial.server.spec.id) {
        ratios[column.id] = ratio(own.rate, rate(`${trial.protocol.id}/${column.id}`));
      }
    }
    return { protocol: text(trial.protocol.label), server: text(trial.server.spec.label), ...own, ...ratios };
  });
  const { h2, h1, rounds, seconds } = ctx.plan.unary;
  return {
    id: "unary",
    title: "Unary GetUser",
    about: [
      `GetUser of the caller's own account, ${rounds} interleaved rounds of ${seconds} s per server and protocol after a warm-up; ` +
        `HTTP/2 with ${h2.connections} connections × ${h2.streams} streams (${h2.connections * h2.streams} concurrent), ` +
        `HTTP/1.1 with ${h1.connections} connections. Each server alone on CPU 0, h2load on CPU 1.`,
      "This server: `NODE_ENV=production LOG_LEVEL=warn`, SQLite in a temporary DATA_DIR with " +
        `${ctx.plan.smallDatabaseUsers.toLocaleString("en-US")} users, a bearer token from Login, ` +
        "the per-user rate limit raised out of reach (the shipped 200/s would refuse a one-user load; the limiter still runs).",
      "Every server gets the same request bytes, token included. Before its warm-up and after its last round each " +
        "server/protocol pair answers calls decoded by a real client (status, grpc-status 0, the expected user); during " +
        "the rounds every answer must be a 2xx of a success's size.",
      "Ratios divide medians within the same protocol. Latency is h2load's per-request time at this concurrency " +
        "(median over rounds of each round's percentile).",
      "A round is a request count (`-n`: the server's rate in its warm-up times the round's seconds), so every request " +
        "completes and h2load's byte count is exact; a kill timer bounds its time. The commands below show the count of " +
        "this server's rounds; the anchors' differ.",
    ],
    columns: [
      { key: "protocol", title: "protocol" },
      { key: "server", title: "server" },
      { key: "rate", title: "req/s median (min–max)" },
      { key: "p50", title: "p50 ms" },
      { key: "p99", title: "p99 ms" },
      ...ANCHOR_COLUMNS.map((c) => ({ key: c.id, title: c.title })),
    ],
    rows,
    charts: [
      {
        title: "Unary GetUser throughput (median, whiskers min–max)",
        unit: "req/s",
        bars: trials.map((trial) => ({
          label: `${trial.protocol.label} · ${trial.server.spec.label}`,
          summary: summaryOf(rate(trial.key))!,
          group: trial.protocol.id,
        })),
      },
    ],
    commands: [
      ...servers.map((server) => serverCommand(server.spec, ctx.fixture.workDir)),
      ...new Map(trials.map((t) => [t.protocol.id, t.command()])).values(),
    ],
    notes: [],
  };
}
