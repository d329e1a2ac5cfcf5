import { createHash } from 'node:crypto';

/** Per-route buckets of the Local Discord; each is keyed by its top-level resource. */
export type BucketName =
  | 'memberRoles'
  | 'member'
  | 'listMembers'
  | 'guild'
  | 'guildChannels'
  | 'createDm'
  | 'messages'
  | 'user'
  | 'commands'
  | 'oauth2'
  | 'interactionCallback'
  | 'webhook';

export interface BucketLimit {
  /** Requests allowed per window. */
  limit: number;
  windowMs: number;
}

/**
 * Default per-route limits. Discord never documents them and asks clients to read the headers
 * instead; real role add/remove is about 10 per 10 s per guild. These defaults are deliberately
 * generous (at least 100 req/s per resource) so that the *global* limit — 50 req/s by default —
 * is what binds a benchmark that spreads role changes across the members of ONE guild. Tests
 * that want Discord-like per-route 429s pass `routeLimits: { memberRoles: { limit: 10, windowMs:
 * 10_000 } }`. Channel messages and webhooks keep Discord's real 5 per 5 s / 5 per 2 s.
 */
export const DEFAULT_ROUTE_LIMITS: Readonly<Record<BucketName, BucketLimit>> = {
  memberRoles: { limit: 1000, windowMs: 10_000 },
  member: { limit: 1000, windowMs: 10_000 },
  listMembers: { limit: 100, windowMs: 10_000 },
  guild: { limit: 1000, windowMs: 10_000 },
  guildChannels: { limit: 100, windowMs: 10_000 },
  createDm: { limit: 1000, windowMs: 10_000 },
  messages: { limit: 5, windowMs: 5_000 },
  user: { limit: 1000, windowMs: 10_000 },
  commands: { limit: 50, windowMs: 20_000 },
  oauth2: { limit: 1000, windowMs: 10_000 },
  interactionCallback: { limit: 100, windowMs: 10_000 },
  webhook: { limit: 5, windowMs: 2_000 },
};

export interface RateLimitVerdict {
  /** Headers to send whatever the outcome. */
  headers: Record<string, string>;
  /** Set when the request must be answered with 429. */
  retryAfterMs?: number;
}

interface Window {
  start: number;
  count: number;
}

/**
 * How the global limit counts its second. Discord does not document it (shared/reference §8):
 * - `fixed` (default): N requests per window of 1,000 ms that opens with the first request after
 *   the previous one closed. What Discord is believed to do: clients measured 429s whose
 *   `retry_after` ran to the next whole second of Discord's clock (disgo, discord-api-docs#5144),
 *   i.e. fixed one-second windows; only the phase differs here, and a client cannot see it.
 *   Up to 2N can then pass within 1,000 ms across a window edge.
 * - `sliding`: never more than N within ANY 1,000 ms — the strictest reading, for benchmarks
 *   that must prove a client never exceeds the limit however Discord counts.
 */
export type GlobalWindow = 'fixed' | 'sliding';

/** Wall-clock milliseconds with sub-millisecond precision (monotonic within the process). */
export const wallClock = (): number => performance.timeOrigin + performance.now();

/**
 * Rate limits, on the wall clock on purpose: @discordjs/rest sleeps in real time, so an injected
 * test clock must not drive them. Per-route buckets are fixed windows.
 */
export class RateLimiter {
  private readonly global = new Map<string, Window>();
  /** Sliding mode: the accepted arrival times of each caller's last N requests, oldest first. */
  private readonly recent = new Map<string, number[]>();
  private readonly buckets = new Map<string, Window>();
  private readonly hashes = new Map<BucketName, string>();

  constructor(
    private readonly globalPerSecond: number,
    private readonly limits: Readonly<Record<BucketName, BucketLimit>>,
    private readonly globalWindow: GlobalWindow = 'fixed',
    private readonly now: () => number = wallClock,
  ) {}

  /**
   * Counts one request that arrived at `at` against the global limit of `identity` (bot token, or
   * IP when unauthenticated); returns how long to wait when it must be refused.
   */
  takeGlobal(identity: string, at: number = this.now()): number | undefined {
    if (this.globalWindow === 'sliding') return this.takeSliding(identity, at);
    const window = current(this.global, identity, at, 1000);
    if (window.count >= this.globalPerSecond) return window.start + 1000 - at;
    window.count += 1;
    return undefined;
  }

  private takeSliding(identity: string, at: number): number | undefined {
    let times = this.recent.get(identity);
    if (!times) {
      times = [];
      this.recent.set(identity, times);
    }
    // A request at exactly oldest + 1000 no longer shares a window (t − 1000, t] with it.
    while (times.length > 0 && (times[0] ?? at) <= at - 1000) times.shift();
    if (times.length >= this.globalPerSecond) return (times[0] ?? at) + 1000 - at;
    times.push(at);
    return undefined;
  }

  take(identity: string, bucket: BucketName, major: string): RateLimitVerdict {
    const { limit, windowMs } = this.limits[bucket];
    const now = this.now();
    const window = current(this.buckets, `${identity}|${bucket}|${major}`, now, windowMs);
    const resetAt = window.start + windowMs;
    const limited = window.count >= limit;
    if (!limited) window.count += 1;
    const headers: Record<string, string> = {
      'X-RateLimit-Limit': String(limit),
      'X-RateLimit-Remaining': String(limit - window.count),
      'X-RateLimit-Reset': (resetAt / 1000).toFixed(3),
      'X-RateLimit-Reset-After': ((resetAt - now) / 1000).toFixed(3),
      'X-RateLimit-Bucket': this.hashOf(bucket),
    };
    return limited ? { headers, retryAfterMs: resetAt - now } : { headers };
  }

  reset(): void {
    this.global.clear();
    this.recent.clear();
    this.buckets.clear();
  }

  private hashOf(bucket: BucketName): string {
    let hash = this.hashes.get(bucket);
    if (!hash) {
      hash = createHash('sha256').update(`local-discord:${bucket}`).digest('hex').slice(0, 32);
      this.hashes.set(bucket, hash);
    }
    return hash;
  }
}

function current(windows: Map<string, Window>, key: string, now: number, windowMs: number): Window {
  const existing = windows.get(key);
  if (existing && now < existing.start + windowMs) return existing;
  const fresh = { start: now, count: 0 };
  windows.set(key, fresh);
  return fresh;
}

/** Discord's 429: integer `Retry-After` header (ceil), exact float `retry_after` in the body. */
export function tooManyRequests(
  retryAfterMs: number,
  scope: 'user' | 'global' | 'shared',
  extraHeaders: Record<string, string> = {},
  exactHeader = false,
): { status: 429; body: Record<string, unknown>; headers: Record<string, string> } {
  const seconds = Math.max(retryAfterMs, 1) / 1000;
  const headers: Record<string, string> = {
    ...extraHeaders,
    'Retry-After': exactHeader ? String(seconds) : String(Math.max(1, Math.ceil(seconds))),
    'X-RateLimit-Scope': scope,
  };
  if (scope === 'global') headers['X-RateLimit-Global'] = 'true';
  return {
    status: 429,
    headers,
    body: {
      message: 'You are being rate limited.',
      retry_after: Number(seconds.toFixed(3)),
      global: scope === 'global',
    },
  };
}
