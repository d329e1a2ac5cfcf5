import { DefaultRestOptions, type RESTOptions, type ResponseLike } from '@discordjs/rest';

/**
 * Discord's budget as seen where requests leave the process (decision 0017): the global limit,
 * counted in a sliding window so that no 1,000 ms ever holds more than the limit whatever way
 * Discord counts its second, and the invalid-request budget (401, 403 and 429 answers: 10,000 in
 * 10 minutes bans the bot's address). It wraps @discordjs/rest's `makeRequest`, below the library's
 * per-route buckets, so every request that reaches the network passes through it — in the one
 * process that talks to Discord (`rolegate discord-proxy`, or the app itself on SQLite).
 */

type MakeRequest = RESTOptions['makeRequest'];

export interface DiscordBudgetOptions {
  /** Requests per window. Default 50 (Discord's per-bot global limit). */
  limit?: number;
  /**
   * Added to the 1,000 ms window. Default 0: a permit is already held until 1,000 ms after the
   * answer, which covers any latency; a margin only guards against a Discord clock running fast.
   */
  marginMs?: number;
  /** Invalid answers allowed in any 10 minutes before requests are held. Default 9,000 (Discord bans at 10,000). */
  invalidBudget?: number;
  invalidWindowMs?: number;
}

const now = () => performance.now();

/** Resolves after `ms`, or rejects with an AbortError when `signal` aborts first. */
function wait(ms: number, signal: AbortSignal | null | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortError());
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function abortError(): Error {
  const err = new Error('The request waited for the Discord budget until it timed out');
  err.name = 'AbortError';
  return err;
}

/** Token-authenticated interaction endpoints are outside the bot's global limit. */
const exempt = (url: string) => /\/(interactions|webhooks)\//.test(new URL(url).pathname);

export class DiscordBudget {
  readonly limit: number;
  readonly windowMs: number;
  readonly invalidBudget: number;
  readonly invalidWindowMs: number;
  /** Permits free now. A request holds one from before it leaves until `windowMs` after its answer. */
  private available: number;
  /** FIFO of requests waiting for a permit. */
  private readonly waiting: Array<() => void> = [];
  /** Times of invalid answers within the last `invalidWindowMs`, oldest first. */
  private readonly invalid: number[] = [];
  /** Counters for metrics and benchmarks. */
  readonly stats = { sent: 0, invalid: 0, heldForInvalid: 0 };

  constructor(options: DiscordBudgetOptions = {}) {
    this.limit = options.limit ?? 50;
    this.windowMs = 1000 + (options.marginMs ?? 0);
    this.invalidBudget = options.invalidBudget ?? 9000;
    this.invalidWindowMs = options.invalidWindowMs ?? 600_000;
    this.available = this.limit;
  }

  /** `makeRequest` for @discordjs/rest that spends this budget. */
  wrap(inner: MakeRequest = DefaultRestOptions.makeRequest): MakeRequest {
    return async (url, init) => {
      if (exempt(url)) return this.observe(await inner(url, init));
      await this.invalidRoom(init.signal);
      await this.acquire(init.signal);
      try {
        return this.observe(await inner(url, init));
      } finally {
        // Wherever this request arrived at Discord, it was before now: for the next `windowMs` it
        // may still share a window with a new one, so its permit stays taken until then.
        this.releaseAfter(now() + this.windowMs);
      }
    };
  }

  /**
   * Waits for a permit. Every request that can have arrived at Discord within the last `windowMs`
   * still holds its permit, so no window of that length ever holds more than `limit` arrivals —
   * whatever the latency, and however Discord aligns its second.
   */
  acquire(signal?: AbortSignal | null): Promise<void> {
    if (signal?.aborted) return Promise.reject(abortError());
    if (this.available > 0 && this.waiting.length === 0) {
      this.available -= 1;
      this.stats.sent += 1;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const go = () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = () => {
        const i = this.waiting.indexOf(go);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(abortError());
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(go);
    });
  }

  /**
   * Releases a permit at `at` (performance.now() time) or later, never earlier. A timer alone is not
   * enough: Node counts timers in whole milliseconds of its loop clock, so `setTimeout(f, 1000)` can
   * fire 999.x real ms later (seen: 99 of 200 such timers on a busy loop) — and a strict Discord then
   * counts 51 arrivals within 1,000 ms (bench/member-sync.ts measured 51 and 5 × 429 before this).
   */
  private releaseAfter(at: number): void {
    const left = at - now();
    if (left <= 0) this.release();
    else setTimeout(() => this.releaseAfter(at), Math.ceil(left)).unref();
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) {
      this.stats.sent += 1;
      next(); // the permit passes straight to the next request
    } else this.available += 1;
  }

  /** Holds requests while the invalid answers of the last 10 minutes are at the budget. */
  private async invalidRoom(signal?: AbortSignal | null): Promise<void> {
    for (;;) {
      const t = now();
      while (this.invalid.length > 0 && this.invalid[0]! <= t - this.invalidWindowMs) this.invalid.shift();
      if (this.invalid.length < this.invalidBudget) return;
      this.stats.heldForInvalid += 1;
      await wait(this.invalid[0]! + this.invalidWindowMs - t + 1, signal);
    }
  }

  /** Counts invalid answers as Discord does: 401, 403 and 429 except a shared-scope 429. */
  private observe(res: ResponseLike): ResponseLike {
    const invalid =
      res.status === 401 ||
      res.status === 403 ||
      (res.status === 429 && res.headers.get('x-ratelimit-scope') !== 'shared');
    if (!invalid) return res;
    this.stats.invalid += 1;
    this.invalid.push(now());
    return res;
  }

  /** Invalid answers within the last window (for metrics and tests). */
  invalidInWindow(): number {
    const t = now();
    return this.invalid.filter((x) => x > t - this.invalidWindowMs).length;
  }
}
