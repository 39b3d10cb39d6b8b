/**
 * Token buckets keyed by caller (an address or a user id). Each key may spend
 * `burst` calls at once and earns them back at `perSecond`.
 *
 * Buckets are created on first use and refilled lazily on the next one, so an
 * idle key costs nothing but its map entry; the map is bounded, forgetting the
 * oldest keys first.
 */
export interface Rate {
  readonly burst: number;
  readonly perSecond: number;
}

interface Bucket {
  tokens: number;
  updatedAt: number;
}

const MAX_KEYS = 100_000;

export class TokenBuckets {
  readonly #buckets = new Map<string, Bucket>();

  constructor(
    readonly rate: Rate,
    private readonly now: () => number = performance.now.bind(performance),
  ) {}

  /** Takes a token: 0 when allowed, else the seconds until one is available. */
  take(key: string): number {
    const now = this.now();
    let bucket = this.#buckets.get(key);
    if (bucket === undefined) {
      if (this.#buckets.size >= MAX_KEYS) {
        this.#buckets.delete(this.#buckets.keys().next().value!);
      }
      bucket = { tokens: this.rate.burst, updatedAt: now };
      this.#buckets.set(key, bucket);
    } else {
      const earned = ((now - bucket.updatedAt) / 1000) * this.rate.perSecond;
      bucket.tokens = Math.min(this.rate.burst, bucket.tokens + earned);
      bucket.updatedAt = now;
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return (1 - bucket.tokens) / this.rate.perSecond;
  }
}
