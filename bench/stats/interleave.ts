/**
 * Rounds interleaved across what is compared: every round runs each trial
 * once, starting one further along each time, so slow drift on a shared
 * machine (another job starting, thermal limits) hits every trial alike
 * instead of the ones that happened to run last.
 */

export interface Trial<T> {
  /** Unique among the trials compared. */
  readonly key: string;
  readonly label: string;
  /** Runs once, discarded, before the rounds: JIT compilation, caches, connections. */
  warmUp?(): Promise<void>;
  run(round: number): Promise<T>;
  /** Runs once after the last round, e.g. to check the server still answers correctly. */
  finish?(): Promise<void>;
}

export interface InterleaveOptions<T> {
  readonly rounds: number;
  /** Called after each run, e.g. to print progress. */
  readonly onResult?: (trial: Trial<T>, round: number, result: T) => void;
}

/** Resolves with each trial's results in round order, keyed by trial key. */
export async function runInterleaved<T>(trials: readonly Trial<T>[], options: InterleaveOptions<T>): Promise<Map<string, T[]>> {
  const results = new Map<string, T[]>(trials.map((trial) => [trial.key, []]));
  for (const trial of trials) {
    await trial.warmUp?.();
  }
  for (let round = 0; round < options.rounds; round++) {
    for (let i = 0; i < trials.length; i++) {
      const trial = trials[(round + i) % trials.length]!;
      const result = await trial.run(round);
      results.get(trial.key)!.push(result);
      options.onResult?.(trial, round, result);
    }
  }
  for (const trial of trials) {
    await trial.finish?.();
  }
  return results;
}
