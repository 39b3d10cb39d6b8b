/**
 * The servers the bench compares: ours as shipped, and the anchors of
 * bench/anchors/. All read the same database, and all that check tokens use
 * the same DATA_DIR (so the same generated JWT secret).
 */
import type { BenchFixture } from "../fixture/bench-fixture.js";
import type { ServerSpec } from "./start-server.js";

/**
 * A token bucket no run can empty. The shipped 200 calls/s per user would
 * turn a load from one user (one token) into RESOURCE_EXHAUSTED after the
 * first 200 calls; a huge bucket keeps the limiter's work on every call.
 */
export const UNREACHABLE_USER_RATE = "1000000000/s";

/** Our server (server/main.ts) as shipped, plus `env`. */
export function ourServer(
  fixture: BenchFixture,
  databasePath: string,
  options: { id?: string; label?: string; env?: Record<string, string>; cpus?: string } = {},
): ServerSpec {
  return {
    id: options.id ?? "ours",
    label: options.label ?? "this server",
    entry: "server/main.ts",
    cpus: options.cpus,
    env: {
      NODE_ENV: "production",
      LOG_LEVEL: "warn",
      LOG_FORMAT: "json",
      DATA_DIR: fixture.dataDir,
      DATABASE_PATH: databasePath,
      RATE_LIMIT_USER: UNREACHABLE_USER_RATE,
      // No web app build is needed to answer RPCs.
      WEB_ROOT: "off",
      ...options.env,
    },
  };
}

function anchor(id: string, label: string, fixture: BenchFixture, databasePath: string): ServerSpec {
  return {
    id,
    label,
    entry: `bench/anchors/${id}.ts`,
    env: {
      NODE_ENV: "production",
      DATA_DIR: fixture.dataDir,
      DATABASE_PATH: databasePath,
      BENCH_CONTRACT_PATH: fixture.contractPath,
    },
  };
}

/** The anchors, each named after its file in bench/anchors/. */
export const ANCHOR_LABELS = {
  "grpc-js-memory": "grpc-js, from memory",
  "grpc-js-sqlite": "grpc-js, SQLite + token",
  "raw-http2": "raw node:http2 (floor)",
  "fastify-json": "plain Fastify JSON route",
} as const;
export type AnchorId = keyof typeof ANCHOR_LABELS;

export function anchorServer(id: AnchorId, fixture: BenchFixture, databasePath: string): ServerSpec {
  return anchor(id, ANCHOR_LABELS[id], fixture, databasePath);
}
