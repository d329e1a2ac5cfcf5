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
 * Fixed-window limiter, wall-clock based on purpose: @discordjs/rest sleeps in real time, so an
 * injected test clock must not drive it.
 */
export class RateLimiter {
  private readonly global = new Map<string, Window>();
  private readonly buckets = new Map<string, Window>();
  private readonly hashes = new Map<BucketName, string>();

  constructor(
    private readonly globalPerSecond: number,
    private readonly limits: Readonly<Record<BucketName, BucketLimit>>,
    private readonly now: () => number = () => Date.now(),
  ) {}

  /** Counts one request against the global limit of `identity` (bot token, or IP when unauthenticated). */
  takeGlobal(identity: string): number | undefined {
    const now = this.now();
    const window = current(this.global, identity, now, 1000);
    if (window.count >= this.globalPerSecond) return window.start + 1000 - now;
    window.count += 1;
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
