/**
 * Scenario 2: ListUsers streaming throughput. One gRPC call streams the whole
 * table (page_size 0) from a SQLite database seeded once with the plan's
 * users (a million in the full run), read by a lean client that counts
 * messages without decoding them. The server's resident memory is sampled
 * from /proc while it streams.
 */
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { ListUsersRequestSchema, UserSchema } from "../../gen/user/v1/user_pb.js";
import { connectH2, expectOk, openGrpcStream } from "../load/grpc-stream.js";
import { meterCpu } from "../process/cpu-meter.js";
import { sampleRss } from "../process/rss-sampler.js";
import { formatMiB, formatRate } from "../report/format.js";
import { figure, summaryOf, text, type Section } from "../report/results.js";
import { ourServer } from "../servers/catalog.js";
import { serverCommand, startServer, type RunningServer } from "../servers/start-server.js";
import { runInterleaved, type Trial } from "../stats/interleave.js";
import type { Scenario, ScenarioContext } from "./scenario.js";

const LIST_USERS_PATH = "/user.v1.UserService/ListUsers";
const MiB = 1024 * 1024;
/** The slowest rate before a round is called hung and cancelled. */
const MIN_USERS_PER_SECOND = 2_000;
const WARM_UP_PAGES = 20;

interface ListRound {
  readonly usersPerSecond: number;
  readonly peakRssBytes: number;
  readonly rssGrowthBytes: number;
  readonly serverCores: number;
  readonly clientCores: number;
}

export const listUsersStream: Scenario = {
  id: "list-users",
  title: "ListUsers streaming",
  async run(ctx) {
    const { plan, fixture } = ctx;
    ctx.log(`list-users: seeding ${plan.listUsers.users.toLocaleString("en-US")} users`);
    const seedStarted = performance.now();
    const database = await fixture.database("list-users", plan.listUsers.users);
    const seedSeconds = (performance.now() - seedStarted) / 1000;
    const server = await startServer(ourServer(fixture, database, { id: "ours-list" }), fixture.logDir);
    try {
      const token = await ctx.token(server);
      const startRss = server.rssBytes();
      const results = await runInterleaved([listTrial(ctx, server, token)], {
        rounds: plan.listUsers.rounds,
        onResult: (_, round, r) =>
          ctx.log(`list-users: round ${round + 1}: ${formatRate(r.usersPerSecond)} users/s, peak RSS ${formatMiB(r.peakRssBytes)} MiB`),
      });
      return listSection(ctx, results.get("list")!, startRss, seedSeconds, server);
    } finally {
      await server.stop();
    }
  },
};

function listTrial(ctx: ScenarioContext, server: RunningServer, token: string): Trial<ListRound> {
  const expected = ctx.plan.listUsers.users + 1;
  const stream = async (pageSize: number, pageToken = "") => {
    const session = await connectH2(server.url);
    try {
      let firstId = "";
      const call = openGrpcStream(session, {
        path: LIST_USERS_PATH,
        token,
        keep: (index) => index === 0,
        onMessage: (data) => (firstId = fromBinary(UserSchema, data).id),
        signal: AbortSignal.timeout(60_000 + Math.ceil(expected / MIN_USERS_PER_SECOND) * 1000),
      });
      call.send(toBinary(ListUsersRequestSchema, create(ListUsersRequestSchema, { pageSize, pageToken })));
      call.end();
      const end = expectOk(await call.done, "ListUsers");
      // The bench's user was created first, so it is listed first.
      if (firstId !== ctx.fixture.user.id) {
        throw new Error(`ListUsers listed ${firstId} first, expected the bench's user ${ctx.fixture.user.id}`);
      }
      return end.messages;
    } finally {
      session.close();
    }
  };
  return {
    key: "list",
    label: "ListUsers",
    async warmUp() {
      for (let i = 0; i < WARM_UP_PAGES; i++) {
        await stream(1000);
      }
    },
    async run() {
      const rss = sampleRss(server.pid);
      const cpu = meterCpu(server.pid);
      const started = performance.now();
      const count = await stream(0).finally(() => rss.stop());
      const seconds = (performance.now() - started) / 1000;
      const memory = rss.stop();
      const use = cpu.stop();
      if (count !== expected) {
        throw new Error(`ListUsers streamed ${count} users, expected ${expected}`);
      }
      return {
        usersPerSecond: count / seconds,
        peakRssBytes: memory.peakBytes,
        rssGrowthBytes: memory.peakBytes - memory.startBytes,
        serverCores: use.serverCores,
        clientCores: use.benchCores,
      };
    },
  };
}

function listSection(
  ctx: ScenarioContext,
  rounds: readonly ListRound[],
  startRss: number,
  seedSeconds: number,
  server: RunningServer,
): Section {
  const users = ctx.plan.listUsers.users + 1;
  const rate = figure(rounds.map((r) => r.usersPerSecond));
  return {
    id: "list-users",
    title: "ListUsers streaming",
    about: [
      `One ListUsers call (gRPC, page_size 0) streams all ${users.toLocaleString("en-US")} users of a SQLite database, ` +
        `${rounds.length} rounds after a warm-up of ${WARM_UP_PAGES} pages of 1,000. The server (as in the unary scenario) ` +
        "runs alone on CPU 0; the client, on CPU 1, is Node's HTTP/2 stream API with 16 MiB flow-control windows, counting " +
        "message frames without decoding them (it decodes the first, which must be the bench's user) and requiring grpc-status 0.",
      `The database was seeded once, straight through the storage module (createMany in transactions of 20,000, every user ` +
        `sharing one precomputed scrypt hash), in ${seedSeconds.toFixed(1)} s; through CreateUsers each user would cost a ` +
        "hash at the shipped cost (about 90 ms of a core).",
      `VmRSS of the server from /proc every 20 ms. Growth is the peak minus the RSS after start-up (${formatMiB(startRss)} MiB, ` +
        "before the warm-up), and minus the RSS when the round began (after earlier rounds: what one more stream adds).",
    ],
    columns: [
      { key: "figure", title: "figure" },
      { key: "value", title: "median (min–max)" },
      { key: "target", title: "issue #7 target" },
    ],
    rows: [
      { figure: text("users/s streamed"), value: rate, target: text("≥ 300,000") },
      { figure: text("server peak RSS, MiB"), value: figure(rounds.map((r) => r.peakRssBytes / MiB), 1) },
      { figure: text("server RSS growth over its RSS after start-up, MiB"), value: figure(rounds.map((r) => (r.peakRssBytes - startRss) / MiB), 1), target: text("< 100 MB") },
      { figure: text("server RSS growth within the round, MiB"), value: figure(rounds.map((r) => r.rssGrowthBytes / MiB), 1) },
      { figure: text("server CPU, cores (1.00 = its core saturated)"), value: figure(rounds.map((r) => r.serverCores), 2) },
      { figure: text("client CPU, cores (the load generator)"), value: figure(rounds.map((r) => r.clientCores), 2) },
    ],
    charts: [
      {
        title: "ListUsers streaming",
        unit: "users/s",
        bars: [{ label: "gRPC, this server", summary: summaryOf(rate)! }],
        target: { value: 300_000, label: "target ≥ 300,000" },
      },
    ],
    commands: [serverCommand(server.spec, ctx.fixture.workDir)],
    notes: [],
  };
}
