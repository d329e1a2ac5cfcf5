import type { Logger } from 'pino';
import { isDatabaseUnavailable } from '../adapters/store/db.js';

/**
 * One process's view of whether its database is reachable, shared by the worker loop, the
 * completion writer and the scheduler so that an outage is logged once when it starts and once when
 * it ends, not once per tick of every loop (see docs/decisions/0008-database-outages.md).
 */
export class DatabaseOutage {
  private downSince: number | null = null;

  constructor(
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /** True while the last database call of any loop failed as "database unavailable". */
  get down(): boolean {
    return this.downSince !== null;
  }

  /**
   * Records a failure. Returns true when `err` means the database is unavailable (the caller keeps
   * its work and retries later); false for any other error, which the caller handles as before.
   */
  failed(err: unknown, part: string): boolean {
    if (!isDatabaseUnavailable(err)) return false;
    if (this.downSince === null) {
      this.downSince = this.now();
      this.log.warn(
        { part, err: err instanceof Error ? err.message : String(err) },
        'database unavailable: work pauses and retries with backoff until it is back',
      );
    }
    return true;
  }

  /**
   * Records a database call that worked; ends the outage (and logs it) if there was one. `startedAt`
   * is when the call began: a call already in flight when the outage began may still come back
   * (the database finishes some queries while it shuts down), which says nothing about it being back.
   */
  succeeded(startedAt: number): void {
    if (this.downSince === null || startedAt < this.downSince) return;
    const seconds = Math.round((this.now() - this.downSince) / 100) / 10;
    this.downSince = null;
    this.log.warn({ seconds }, 'database is back: work resumes');
  }
}

/**
 * Capped exponential backoff with jitter for a loop whose database calls fail: 200 ms doubling to
 * at most 5 s, each delay drawn from [ceiling/2, ceiling] so that the loops of many processes do not
 * hammer a database that is starting up in lockstep. Short enough that work resumes within seconds
 * of the database coming back.
 */
export class LoopBackoff {
  private failures = 0;

  constructor(
    private readonly baseMs = 200,
    private readonly capMs = 5_000,
  ) {}

  /** The delay before the next try after one more failure. */
  next(random = Math.random()): number {
    const ceiling = Math.min(this.capMs, this.baseMs * 2 ** this.failures);
    this.failures = Math.min(this.failures + 1, 30);
    return Math.round(ceiling / 2 + (ceiling / 2) * random);
  }

  reset(): void {
    this.failures = 0;
  }
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
