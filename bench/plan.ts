/**
 * How much each scenario does, per mode: the full run (several rounds of
 * 10 s, about 15 minutes), QUICK=1 (under 2 minutes: fewer, shorter rounds
 * and smaller data) and the smoke test's (seconds, to keep the harness
 * working, not to measure).
 */

export type BenchMode = "full" | "quick" | "smoke";

export interface BenchPlan {
  readonly mode: BenchMode;
  /** Users in the database the unary scenarios read (besides the bench's own). */
  readonly smallDatabaseUsers: number;
  readonly unary: {
    readonly rounds: number;
    readonly seconds: number;
    readonly warmUpSeconds: number;
    /** Calls checked with a real decoder before and after the rounds. */
    readonly probeCalls: number;
    /** HTTP/2: connections × streams each (128 concurrent streams, under the server's 100 per connection). */
    readonly h2: { readonly connections: number; readonly streams: number };
    /** HTTP/1.1: one call at a time per connection. */
    readonly h1: { readonly connections: number };
  };
  readonly listUsers: { readonly users: number; readonly rounds: number };
  readonly createUsers: {
    readonly rounds: number;
    /** Users per call at the shipped hashing cost (about 90 ms of a core each). */
    readonly shippedCostUsers: number;
    /** Users per call at the lowest cost. */
    readonly lowestCostUsers: number;
    /** Users per createMany straight into the storage module. */
    readonly storageOnlyUsers: number;
  };
  readonly chat: {
    readonly rounds: number;
    readonly streams: number;
    readonly messages: number;
    readonly intervalMs: number;
  };
  readonly observability: { readonly rounds: number; readonly seconds: number; readonly warmUpSeconds: number };
}

const h2 = { connections: 4, streams: 32 };
const h1 = { connections: 32 };

const plans: Record<BenchMode, BenchPlan> = {
  full: {
    mode: "full",
    smallDatabaseUsers: 1_000,
    unary: { rounds: 5, seconds: 10, warmUpSeconds: 3, probeCalls: 20, h2, h1 },
    listUsers: { users: 1_000_000, rounds: 3 },
    createUsers: { rounds: 3, shippedCostUsers: 200, lowestCostUsers: 5_000, storageOnlyUsers: 10_000 },
    chat: { rounds: 3, streams: 200, messages: 200, intervalMs: 20 },
    observability: { rounds: 5, seconds: 10, warmUpSeconds: 3 },
  },
  quick: {
    mode: "quick",
    smallDatabaseUsers: 1_000,
    unary: { rounds: 2, seconds: 1.5, warmUpSeconds: 0.5, probeCalls: 5, h2, h1 },
    listUsers: { users: 100_000, rounds: 2 },
    createUsers: { rounds: 2, shippedCostUsers: 10, lowestCostUsers: 300, storageOnlyUsers: 5_000 },
    chat: { rounds: 2, streams: 200, messages: 30, intervalMs: 20 },
    observability: { rounds: 2, seconds: 1.5, warmUpSeconds: 0.5 },
  },
  smoke: {
    mode: "smoke",
    smallDatabaseUsers: 10,
    unary: { rounds: 1, seconds: 0.5, warmUpSeconds: 0, probeCalls: 2, h2, h1 },
    listUsers: { users: 1_000, rounds: 1 },
    createUsers: { rounds: 1, shippedCostUsers: 2, lowestCostUsers: 20, storageOnlyUsers: 100 },
    chat: { rounds: 1, streams: 10, messages: 3, intervalMs: 20 },
    observability: { rounds: 1, seconds: 0.5, warmUpSeconds: 0 },
  },
};

export function benchPlan(mode: BenchMode): BenchPlan {
  return plans[mode];
}
