/** Medians and spreads of the rounds' figures. */

export interface Summary {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  /** Quartiles (linear interpolation); with few rounds, min–max says more. */
  readonly q1: number;
  readonly q3: number;
  readonly n: number;
}

export function summarize(samples: readonly number[]): Summary {
  if (samples.length === 0) {
    throw new Error("no samples to summarize");
  }
  const sorted = Float64Array.from(samples).sort();
  return {
    median: percentile(sorted, 0.5),
    min: sorted[0]!,
    max: sorted[sorted.length - 1]!,
    q1: percentile(sorted, 0.25),
    q3: percentile(sorted, 0.75),
    n: sorted.length,
  };
}

/** The p-quantile (0..1) of sorted values, interpolating between neighbours; NaN when empty. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) {
    return NaN;
  }
  const position = (sorted.length - 1) * p;
  const below = Math.floor(position);
  const above = Math.min(below + 1, sorted.length - 1);
  return sorted[below]! + (sorted[above]! - sorted[below]!) * (position - below);
}
