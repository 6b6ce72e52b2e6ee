/**
 * Token buckets by key, in this process's memory: each key holds up to `capacity` tokens and
 * regains `perSecond` of them each second; a request takes one. Per instance (a visitor spread over
 * several instances behind a load balancer gets each instance's allowance), which is what a
 * limit against floods needs: it protects each process's event loop and store. Used by the chat's
 * visitor routes, the support forms' submissions and the bot API; it sits beside the plugin
 * interface (a file of src/plugins/) so that built-in channels may import it.
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly capacity: number,
    private readonly perSecond: number,
    private readonly now: () => number,
    /** Beyond this many keys, full buckets are forgotten (they are equal to a fresh one). */
    private readonly maxKeys = 50_000,
  ) {}

  /** Takes a token for `key`: null when there was one, else the seconds until there is (for Retry-After). */
  take(key: string): number | null {
    const now = this.now();
    const bucket = this.buckets.get(key) ?? { tokens: this.capacity, at: now };
    bucket.tokens = Math.min(this.capacity, bucket.tokens + ((now - bucket.at) / 1000) * this.perSecond);
    bucket.at = now;
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      this.buckets.set(key, bucket);
      if (this.buckets.size > this.maxKeys) this.forgetFull(now);
      return null;
    }
    this.buckets.set(key, bucket);
    return Math.max(1, Math.ceil((1 - bucket.tokens) / this.perSecond));
  }

  /** Like take, without taking: null when `key` has a token, else the seconds until it has one. */
  peek(key: string): number | null {
    const bucket = this.buckets.get(key);
    if (!bucket) return null;
    const tokens = Math.min(this.capacity, bucket.tokens + ((this.now() - bucket.at) / 1000) * this.perSecond);
    return tokens >= 1 ? null : Math.max(1, Math.ceil((1 - tokens) / this.perSecond));
  }

  private forgetFull(now: number): void {
    for (const [key, bucket] of this.buckets) {
      if (bucket.tokens + ((now - bucket.at) / 1000) * this.perSecond >= this.capacity) this.buckets.delete(key);
    }
  }
}

/** A bucket: up to `capacity` requests at once, `perSecond` more each second. */
export interface BucketLimit {
  capacity: number;
  perSecond: number;
}

/** Token buckets by key with the given limit. */
export function bucketsFor(limit: BucketLimit, now: () => number): TokenBuckets {
  return new TokenBuckets(limit.capacity, limit.perSecond, now);
}
