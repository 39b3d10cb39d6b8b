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

export type ResultOf<X> = X extends Trial<infer T> ? T : never;

export interface InterleaveOptions<X extends Trial<unknown>> {
  readonly rounds: number;
  /** Called after each run, e.g. to print progress. */
  readonly onResult?: (trial: X, round: number, result: ResultOf<X>) => void;
}

/** Resolves with each trial's results in round order, keyed by trial key. */
export async function runInterleaved<X extends Trial<unknown>>(
  trials: readonly X[],
  options: InterleaveOptions<X>,
): Promise<Map<string, ResultOf<X>[]>> {
  const results = new Map<string, ResultOf<X>[]>(trials.map((trial) => [trial.key, []]));
  for (const trial of trials) {
    await trial.warmUp?.();
  }
  for (let round = 0; round < options.rounds; round++) {
    for (let i = 0; i < trials.length; i++) {
      const trial = trials[(round + i) % trials.length]!;
      const result = (await trial.run(round)) as ResultOf<X>;
      results.get(trial.key)!.push(result);
      options.onResult?.(trial, round, result);
    }
  }
  for (const trial of trials) {
    await trial.finish?.();
  }
  return results;
}
