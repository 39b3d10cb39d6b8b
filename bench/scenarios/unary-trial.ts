/**
 * One server answering GetUser over one protocol, as a trial of interleaved
 * rounds: checked with real decoding before its warm-up and after its last
 * round, loaded with h2load in between. The warm-up runs for a time; its rate
 * sets the rounds' request count (about `seconds` each), so every round is
 * bounded in count (exact byte accounting) and, by a kill timer, in time.
 * Shared by the unary and the observability scenarios.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { h2loadCommand, runH2load, type H2loadResult, type H2loadRun } from "../load/h2load.js";
import { figure, type Cell } from "../report/results.js";
import { GET_USER_PATH, type UnaryProtocol } from "../load/unary-protocols.js";
import { probeUnary, type UnaryRequest } from "../load/wire-probe.js";
import type { RunningServer } from "../servers/start-server.js";
import type { Trial } from "../stats/interleave.js";
import type { ScenarioContext } from "./scenario.js";

export interface UnaryTrial extends Trial<H2loadResult> {
  readonly server: RunningServer;
  readonly protocol: UnaryProtocol;
  /** The h2load command line of a round, for the report. */
  command(): string;
}

/** A round's requests: at least enough to fill every stream many times. */
const MIN_REQUESTS = 1_000;
/** The warm-up also measures the rate that sizes the rounds: not shorter than this. */
const MIN_WARM_UP_SECONDS = 0.3;
/** A round taking this many times its planned duration has gone wrong: it is killed. */
const ROUND_TIMEOUT_FACTOR = 10;

export interface UnaryTrialOptions {
  readonly seconds: number;
  readonly warmUpSeconds: number;
}

/** GetUser of the bench's user, with its token. */
export function getUserRequest(ctx: ScenarioContext, server: RunningServer, protocol: UnaryProtocol, token: string): UnaryRequest {
  return {
    url: server.url,
    path: GET_USER_PATH,
    protocol,
    // Every server gets the same request, token included, whether it checks it or not.
    headers: { ...protocol.headers, authorization: `Bearer ${token}` },
    body: protocol.body(ctx.fixture.user.id),
  };
}

export function unaryTrial(
  ctx: ScenarioContext,
  server: RunningServer,
  protocol: UnaryProtocol,
  token: string,
  options: UnaryTrialOptions,
): UnaryTrial {
  const { plan, fixture } = ctx;
  const request = getUserRequest(ctx, server, protocol, token);
  const bodyFile = join(fixture.folder("requests"), `get-user-${protocol.id}.bin`);
  writeFileSync(bodyFile, request.body);
  const shape = protocol.httpVersion === "2" ? plan.unary.h2 : { connections: plan.unary.h1.connections, streams: 1 };
  let expectedResponseBytes: number | undefined;
  // Sized from the warm-up's rate to last about options.seconds.
  let requestsPerRound = MIN_REQUESTS;
  let roundTimeoutMs = 60_000;
  const load = (bound: H2loadRun["bound"]): H2loadRun => ({
    request,
    bodyFile,
    connections: shape.connections,
    streamsPerConnection: shape.streams,
    bound,
    expectedResponseBytes: expectedResponseBytes ?? 0,
    logFile: join(fixture.folder("h2load"), `${server.spec.id}-${protocol.id}.log`),
    cpus: ctx.loadCpus,
  });
  const check = async () => {
    expectedResponseBytes = await probeUnary(request, plan.unary.probeCalls, fixture.user.id);
  };
  return {
    key: `${protocol.id}/${server.spec.id}`,
    label: `${protocol.label}, ${server.spec.label}`,
    server,
    protocol,
    async warmUp() {
      await check();
      const seconds = Math.max(options.warmUpSeconds, MIN_WARM_UP_SECONDS);
      const { requestsPerSecond } = await runH2load(load({ seconds }), seconds * 1000 + 30_000);
      requestsPerRound = Math.max(MIN_REQUESTS, Math.round(requestsPerSecond * options.seconds));
      roundTimeoutMs = options.seconds * 1000 * ROUND_TIMEOUT_FACTOR + 30_000;
    },
    run: () => runH2load(load({ requests: requestsPerRound }), roundTimeoutMs),
    // Still answering correctly after the load: the figures were successes throughout.
    finish: check,
    command: () => h2loadCommand(load({ requests: requestsPerRound })),
  };
}

/** A unary trial's figures over its rounds (undefined when it did not run): throughput and latency percentiles. */
export function unaryFigures(runs: readonly H2loadResult[] | undefined): { rate: Cell; p50: Cell; p99: Cell } | undefined {
  return (
    runs && {
      rate: figure(runs.map((r) => r.requestsPerSecond)),
      p50: figure(runs.map((r) => r.p50Ms), 1),
      p99: figure(runs.map((r) => r.p99Ms), 1),
    }
  );
}
