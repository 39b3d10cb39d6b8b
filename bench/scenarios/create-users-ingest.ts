/**
 * Scenario 3: CreateUsers ingest into SQLite, with the shipped password
 * hashing and with the lowest cost the server accepts (it has no switch to
 * store users without hashing), beside the storage module's own rate (the
 * ceiling a no-hash mode could approach). During each ingest a GetUser every
 * 10 ms shows whether the event loop stays free, and /proc shows how busy
 * each core is.
 *
 * Unlike the other scenarios the servers are not pinned to CPU 0: scrypt runs
 * on libuv's thread pool, whose threads inherit the process's CPUs, so a
 * pinned server would hash on one core only. One server pinned to CPU 0 is
 * measured too, for the contrast.
 */
import { randomUUID } from "node:crypto";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { CreateUserRequestSchema, CreateUsersResponseSchema } from "../../gen/user/v1/user_pb.js";
import { createScryptHasher } from "../../server/services/password.js";
import { createSqliteStore } from "../../server/storage/sqlite.js";
import type { StoredUser } from "../../server/storage/store.js";
import { connectH2, expectOk, openGrpcStream } from "../load/grpc-stream.js";
import { startLatencyProbe } from "../load/latency-probe.js";
import { meterCpu, type CpuUse } from "../process/cpu-meter.js";
import { formatRate } from "../report/format.js";
import { figure, summaryOf, text, type Row, type Section } from "../report/results.js";
import { ourServer } from "../servers/catalog.js";
import { serverCommand, startServers, stopServers, type RunningServer } from "../servers/start-server.js";
import { runInterleaved, type Trial } from "../stats/interleave.js";
import { percentile } from "../stats/summary.js";
import type { Scenario, ScenarioContext } from "./scenario.js";

const CREATE_USERS_PATH = "/user.v1.UserService/CreateUsers";
const PROBE_INTERVAL_MS = 10;
const IDLE_PROBE_MS = 500;
/** Generous: a call slower than this per user has hung. */
const MAX_MS_PER_USER = 1_000;

interface IngestRound {
  readonly usersPerSecond: number;
  readonly cpu?: CpuUse;
  /** GetUser latencies during the ingest, ms: p50, p99, max. */
  readonly getUser?: { readonly p50: number; readonly p99: number; readonly max: number };
}

interface IngestTrial extends Trial<IngestRound> {
  readonly users: number;
  readonly bar: string;
  /** GetUser p99 on the idle server, ms (after the warm-up). */
  idleP99(): number | undefined;
  /** One hash at the server's cost, timed in the bench's process: how long a blocked event loop would stall. */
  hashMs(): number | undefined;
}

interface ServerConfig {
  readonly key: string;
  readonly label: string;
  /** Short, for the chart. */
  readonly bar: string;
  readonly hashCost: number;
  readonly cpus: string;
  readonly users: (plan: ScenarioContext["plan"]) => number;
}

const SERVER_CONFIGS: readonly ServerConfig[] = [
  { key: "shipped", label: "shipped hashing cost (15), server on CPUs 0–1", bar: "cost 15, CPUs 0–1", hashCost: 15, cpus: "0,1", users: (p) => p.createUsers.shippedCostUsers },
  { key: "lowest", label: "lowest hashing cost (10), server on CPUs 0–1", bar: "cost 10, CPUs 0–1", hashCost: 10, cpus: "0,1", users: (p) => p.createUsers.lowestCostUsers },
  { key: "pinned", label: "lowest hashing cost (10), server pinned to CPU 0", bar: "cost 10, CPU 0", hashCost: 10, cpus: "0", users: (p) => p.createUsers.lowestCostUsers },
];

export const createUsersIngest: Scenario = {
  id: "create-users",
  title: "CreateUsers ingest",
  async run(ctx) {
    const { fixture, plan } = ctx;
    const specs = await Promise.all(
      SERVER_CONFIGS.map(async (config) =>
        ourServer(fixture, await fixture.database(`ingest-${config.key}`, 0), {
          id: `ours-ingest-${config.key}`,
          label: config.label,
          cpus: config.cpus,
          env: { PASSWORD_HASH_COST: String(config.hashCost) },
        }),
      ),
    );
    const store = createSqliteStore({ path: await fixture.database("ingest-storage", 0) });
    const servers = await startServers(specs, fixture.logDir);
    try {
      const token = await ctx.token(servers[0]!);
      const trials: IngestTrial[] = [
        ...servers.map((server, i) => serverTrial(ctx, server, token, SERVER_CONFIGS[i]!)),
        storageTrial(store, plan.createUsers.storageOnlyUsers, fixture.user.passwordHash),
      ];
      const results = await runInterleaved(trials, {
        rounds: plan.createUsers.rounds,
        onResult: (trial, round, r) =>
          ctx.log(`create-users: round ${round + 1} ${trial.label}: ${formatRate(r.usersPerSecond)} users/s`),
      });
      return ingestSection(ctx, trials, results, servers);
    } finally {
      await stopServers(servers);
      await store.close();
    }
  },
};

function serverTrial(ctx: ScenarioContext, server: RunningServer, token: string, config: ServerConfig): IngestTrial {
  const users = config.users(ctx.plan);
  let idleP99: number | undefined;
  let hashMs: number | undefined;
  const ingest = async (round: number | "warm-up", count: number) => {
    const session = await connectH2(server.url);
    try {
      let created = -1;
      const call = openGrpcStream(session, {
        path: CREATE_USERS_PATH,
        token,
        onMessage: (data) => (created = fromBinary(CreateUsersResponseSchema, data).count),
        signal: AbortSignal.timeout(30_000 + count * MAX_MS_PER_USER),
      });
      for (let i = 0; i < count; i++) {
        // Unique per server, round and entry; 3 to 32 characters of the allowed set.
        const name = `${config.key}_${round === "warm-up" ? "w" : round}_${i}`;
        call.send(toBinary(CreateUserRequestSchema, create(CreateUserRequestSchema, { username: name, email: `${name}@example.com`, password: "correct horse battery" })));
      }
      call.end();
      expectOk(await call.done, "CreateUsers");
      if (created !== count) {
        throw new Error(`CreateUsers created ${created} users, expected ${count}`);
      }
    } finally {
      session.close();
    }
  };
  return {
    key: config.key,
    label: `CreateUsers, ${config.label}`,
    bar: `CreateUsers, ${config.bar}`,
    users,
    idleP99: () => idleP99,
    hashMs: () => hashMs,
    async warmUp() {
      hashMs = await timeOneHash(config.hashCost);
      await ingest("warm-up", 2);
      const probe = await startLatencyProbe(server.url, token, ctx.fixture.user.id, PROBE_INTERVAL_MS);
      await new Promise((resolve) => setTimeout(resolve, IDLE_PROBE_MS));
      idleP99 = percentile(await probe.stop(), 0.99);
    },
    async run(round) {
      const probe = await startLatencyProbe(server.url, token, ctx.fixture.user.id, PROBE_INTERVAL_MS);
      const cpu = meterCpu(server.pid);
      const started = performance.now();
      // The probe stops, and its connection closes, whether the ingest succeeds or not.
      const ingested = ingest(round, users).then(() => (performance.now() - started) / 1000);
      await ingested.catch(() => {});
      const use = cpu.stop();
      const latencies = await probe.stop();
      const seconds = await ingested;
      return {
        usersPerSecond: users / seconds,
        cpu: use,
        getUser: { p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99), max: latencies[latencies.length - 1] ?? NaN },
      };
    },
  };
}

/** The median of a few hashes at `cost`, in ms. */
async function timeOneHash(cost: number): Promise<number> {
  const hasher = createScryptHasher(cost);
  const times: number[] = [];
  for (let i = 0; i < 3; i++) {
    const started = performance.now();
    await hasher.hash("correct horse battery");
    times.push(performance.now() - started);
  }
  return percentile(Float64Array.from(times).sort(), 0.5);
}

/** The storage module alone, in the bench's process: what SQLite takes without RPC or hashing. */
function storageTrial(store: ReturnType<typeof createSqliteStore>, users: number, passwordHash: string): IngestTrial {
  return {
    key: "storage",
    label: "storage module alone: createMany, no RPC, no hashing",
    bar: "storage module alone",
    users,
    idleP99: () => undefined,
    hashMs: () => undefined,
    async run(round) {
      const batch: StoredUser[] = Array.from({ length: users }, (_, i) => ({
        id: randomUUID(),
        username: `storage_${round}_${i}`,
        email: `storage_${round}_${i}@example.com`,
        passwordHash,
        createdAt: Math.floor(Date.now() / 1000),
        roles: ["user"],
      }));
      const started = performance.now();
      await store.createMany(batch);
      return { usersPerSecond: users / ((performance.now() - started) / 1000) };
    },
  };
}

function ingestSection(
  ctx: ScenarioContext,
  trials: readonly IngestTrial[],
  results: Map<string, IngestRound[]>,
  servers: readonly RunningServer[],
): Section {
  const rows: Row[] = trials.map((trial) => {
    const rounds = results.get(trial.key)!;
    const withCpu = rounds.filter((r) => r.cpu !== undefined);
    const cpu = (pick: (use: CpuUse) => number) => (withCpu.length === 0 ? undefined : figure(withCpu.map((r) => pick(r.cpu!)), 2));
    const getUser = rounds.flatMap((r) => (r.getUser === undefined ? [] : [r.getUser]));
    const idle = trial.idleP99();
    const hash = trial.hashMs();
    return {
      ingest: text(trial.label),
      users: text(trial.users.toLocaleString("en-US")),
      rate: figure(rounds.map((r) => r.usersPerSecond)),
      serverCores: cpu((use) => use.serverCores),
      mainThread: cpu((use) => use.serverMainThreadCores),
      otherThreads: cpu((use) => use.serverOtherThreadsCores),
      cpu0: cpu((use) => use.perCpu.get("cpu0") ?? NaN),
      cpu1: cpu((use) => use.perCpu.get("cpu1") ?? NaN),
      getUserP99: getUser.length === 0 ? undefined : figure(getUser.map((g) => g.p99), 1),
      getUserMax: getUser.length === 0 ? undefined : figure(getUser.map((g) => g.max), 1),
      idleP99: idle === undefined ? undefined : text(idle.toFixed(1)),
      hash: hash === undefined ? undefined : text(hash.toFixed(1)),
      target: trial.key === "lowest" ? text("≥ 30,000 without hashing") : undefined,
    };
  });
  return {
    id: "create-users",
    title: "CreateUsers ingest",
    about: [
      "One CreateUsers call (gRPC client stream, all users in one transaction) per round into a SQLite database of its own, " +
        `${ctx.plan.createUsers.rounds} interleaved rounds; users/s is the users of the call over its duration, from the first ` +
        "message sent to the answer. The server hashes every password with scrypt on libuv's thread pool, as many at a time as it has cores.",
      "**Without hashing:** the server has no mode that skips hashing, so the lowest cost it accepts " +
        "(`PASSWORD_HASH_COST=10`, about 2 ms of a core per hash here) stands in for it. It is still hashing-bound: the " +
        "storage module's own rate (the last row, `createMany` in the bench's process) is the ceiling a server switch " +
        "could approach. Such a switch would be, for example, an import that accepts already-hashed passwords (an admin-only " +
        "`password_hash` on CreateUsers entries, for migrations) or a `PASSWORD_HASHING=off` for load tests.",
      "**Pinning:** these servers may use both cores (`taskset -c 0,1`): the hashing threads inherit the process's CPUs, so " +
        "a server pinned to CPU 0 hashes on one core, which the pinned row shows. The load generator (CPU 1) sends little: the " +
        "request stream, prepared in memory, and the GetUser probe.",
      `**Off the event loop:** a GetUser every ${PROBE_INTERVAL_MS} ms during the ingest (its own connection, one call at a time). ` +
        "Hashing on the event loop would hold GetUser calls for up to a whole hash (\"one hash\": scrypt at that cost, timed in " +
        "the bench's process), and the server's CPU would not exceed one core. The server's CPU time is split between its " +
        "main thread (the event loop) and its other threads (libuv's pool, where scrypt runs, and V8's helpers), from " +
        "/proc/<pid>/task: this split holds even when other jobs on the machine take cores away. The cores' busy shares " +
        "count anyone's use (the bench and other jobs included).",
    ],
    columns: [
      { key: "ingest", title: "ingest" },
      { key: "users", title: "users per call" },
      { key: "rate", title: "users/s median (min–max)" },
      { key: "serverCores", title: "server CPU, cores" },
      { key: "mainThread", title: "of which event-loop thread" },
      { key: "otherThreads", title: "of which other threads" },
      { key: "cpu0", title: "CPU 0 busy" },
      { key: "cpu1", title: "CPU 1 busy" },
      { key: "getUserP99", title: "GetUser p99 during, ms" },
      { key: "getUserMax", title: "GetUser max during, ms" },
      { key: "idleP99", title: "GetUser p99 idle, ms" },
      { key: "hash", title: "one hash, ms" },
      { key: "target", title: "issue #7 target" },
    ],
    rows,
    charts: [
      {
        title: "CreateUsers ingest",
        unit: "users/s",
        bars: trials.map((trial, i) => ({ label: trial.bar, summary: summaryOf(rows[i]!.rate)! })),
        target: { value: 30_000, label: "target ≥ 30,000 without hashing" },
      },
    ],
    commands: servers.map((server) => serverCommand(server.spec, ctx.fixture.workDir)),
    notes: [],
  };
}
