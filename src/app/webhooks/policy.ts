/** How merchant webhook deliveries are retried, timed out and given up on, and what one attempt yields. */

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export interface DeliveryPolicy {
  /**
   * Waits before each retry after a failed attempt; the first attempt is immediate, so there are
   * `retryDelaysMs.length + 1` attempts in a series. Default: the Standard Webhooks example schedule
   * 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h (about 3 days in all).
   */
  retryDelaysMs: readonly number[];
  /** Each wait is scaled by a random factor in [1 − jitter, 1 + jitter]. Default 0.1. */
  jitter: number;
  /** Timeout of one attempt (connect, send, response headers and the kept part of the body). Default 15 s. */
  timeoutMs: number;
  /** An endpoint whose attempts have all failed for this long is disabled. Default 5 days. */
  disableAfterMs: number;
  /** Source of randomness for the jitter. Default Math.random. */
  random: () => number;
}

export const defaultDeliveryPolicy: DeliveryPolicy = {
  retryDelaysMs: [
    5 * SECOND,
    5 * MINUTE,
    30 * MINUTE,
    2 * HOUR,
    5 * HOUR,
    10 * HOUR,
    14 * HOUR,
    20 * HOUR,
    DAY,
  ],
  jitter: 0.1,
  timeoutMs: 15 * SECOND,
  disableAfterMs: 5 * DAY,
  random: Math.random,
};

export type AttemptOutcome =
  | { kind: 'response'; statusCode: number; body: string; durationMs: number; retryAfterMs: number | null }
  | { kind: 'error'; error: string; durationMs: number };
