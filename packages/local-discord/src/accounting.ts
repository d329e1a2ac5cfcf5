/** How Discord's limits would see the traffic: arrivals per window, 429s by kind, invalid requests. */

/** Discord's global limit counts requests per second; its invalid-request ban looks at 10 minutes. */
export const RATE_WINDOW_MS = 1000;
export const INVALID_WINDOW_MS = 10 * 60_000;

export type RateLimitKind = 'global' | 'route' | 'shared';

export interface AccountingReport {
  /** API requests that arrived (the member view and the OAuth2 consent page are not the API). */
  requests: number;
  /**
   * The most requests that arrived within any 1,000 ms (a window (t − 1000, t]), measured on
   * arrival, 429s included: `all` over every caller, `byCaller` per bot (`bot:<bot user id>`) or,
   * for requests without a valid bot token, per address (`ip:<address>`).
   */
  maxPerSecond: { all: number; byCaller: Record<string, number> };
  /** 429 answers: `global` (the per-bot limit), `route` (a bucket, scope "user"), `shared`. */
  rateLimited: Record<RateLimitKind, number>;
  /**
   * Answers Discord counts towards its ban of 10,000 per 10 minutes: 401, 403 and 429 except 429s
   * of scope "shared". `last10Minutes` is the sliding count now; `peak10Minutes` the highest it
   * has been; `total` since the counters were reset.
   */
  invalidRequests: { last10Minutes: number; peak10Minutes: number; total: number };
}

/** Every arrival time of one caller (or of all), and the busiest 1,000 ms seen so far. */
class ArrivalSeries {
  private times = new Float64Array(1024);
  private length = 0;
  /** Index of the oldest arrival still inside the window that ends at the latest arrival. */
  private windowStart = 0;
  maxInWindow = 0;

  constructor(private readonly windowMs: number) {}

  get count(): number {
    return this.length;
  }

  /** Arrivals come in time order: requests are stamped as the server takes them. */
  add(at: number): void {
    if (this.length === this.times.length) {
      const grown = new Float64Array(this.times.length * 2);
      grown.set(this.times);
      this.times = grown;
    }
    this.times[this.length] = at;
    this.length += 1;
    while ((this.times[this.windowStart] ?? at) <= at - this.windowMs) this.windowStart += 1;
    this.maxInWindow = Math.max(this.maxInWindow, this.length - this.windowStart);
  }

  /** How many arrivals fall in (now − windowMs, now]. */
  inWindowEndingAt(now: number): number {
    let start = this.windowStart;
    while (start < this.length && (this.times[start] ?? now) <= now - this.windowMs) start += 1;
    return this.length - start;
  }

  arrivals(): Float64Array {
    return this.times.slice(0, this.length);
  }
}

export class RequestAccounting {
  private all = new ArrivalSeries(RATE_WINDOW_MS);
  private byCaller = new Map<string, ArrivalSeries>();
  private invalid = new ArrivalSeries(INVALID_WINDOW_MS);
  private limited: Record<RateLimitKind, number> = { global: 0, route: 0, shared: 0 };

  constructor(private readonly clock: () => number) {}

  arrived(caller: string, at: number): void {
    this.all.add(at);
    let series = this.byCaller.get(caller);
    if (!series) {
      series = new ArrivalSeries(RATE_WINDOW_MS);
      this.byCaller.set(caller, series);
    }
    series.add(at);
  }

  /** Records an answer: 429s by kind, and what Discord counts as an invalid request. */
  answered(status: number, scope: 'user' | 'global' | 'shared' | null): void {
    if (status === 429) this.limited[kindOf(scope)] += 1;
    const invalid = status === 401 || status === 403 || (status === 429 && scope !== 'shared');
    if (invalid) this.invalid.add(this.clock());
  }

  get invalidTotal(): number {
    return this.invalid.count;
  }

  /** Wall-clock arrival times (ms since the epoch, sub-millisecond) of one caller, or of all. */
  arrivals(caller?: string): Float64Array {
    if (caller === undefined) return this.all.arrivals();
    return this.byCaller.get(caller)?.arrivals() ?? new Float64Array(0);
  }

  report(): AccountingReport {
    return {
      requests: this.all.count,
      maxPerSecond: {
        all: this.all.maxInWindow,
        byCaller: Object.fromEntries([...this.byCaller].map(([caller, s]) => [caller, s.maxInWindow])),
      },
      rateLimited: { ...this.limited },
      invalidRequests: {
        last10Minutes: this.invalid.inWindowEndingAt(this.clock()),
        peak10Minutes: this.invalid.maxInWindow,
        total: this.invalid.count,
      },
    };
  }

  reset(): void {
    this.all = new ArrivalSeries(RATE_WINDOW_MS);
    this.byCaller = new Map();
    this.invalid = new ArrivalSeries(INVALID_WINDOW_MS);
    this.limited = { global: 0, route: 0, shared: 0 };
  }
}

function kindOf(scope: 'user' | 'global' | 'shared' | null): RateLimitKind {
  switch (scope) {
    case 'global':
      return 'global';
    case 'shared':
      return 'shared';
    case 'user':
    case null:
      return 'route';
  }
}
