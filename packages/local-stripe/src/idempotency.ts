/**
 * Idempotency-Key: the first successful response for a key is kept for 24 hours and replayed for
 * the same request; the same key with another method, path or parameters is a 400 idempotency_error.
 * Like Stripe, requests that failed validation are not kept, so they can be retried with the key.
 */
import type { Clock } from './clock.js';
import { StripeApiError } from './errors.js';

export interface StoredResponse {
  status: number;
  body: unknown;
  requestId: string;
}

interface Entry {
  fingerprint: string;
  response: StoredResponse;
  expiresAt: number;
}

const TTL_MS = 24 * 60 * 60 * 1000;

export class IdempotencyCache {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly clock: Clock) {}

  /** The response to replay, null for a new key; throws when the key was used for another request. */
  lookup(key: string, fingerprint: string): StoredResponse | null {
    const entry = this.entries.get(key);
    if (entry === undefined) return null;
    if (entry.expiresAt <= this.clock.now()) {
      this.entries.delete(key);
      return null;
    }
    if (entry.fingerprint !== fingerprint) {
      throw new StripeApiError(
        400,
        'idempotency_error',
        `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`,
      );
    }
    return entry.response;
  }

  store(key: string, fingerprint: string, response: StoredResponse): void {
    this.entries.set(key, { fingerprint, response, expiresAt: this.clock.now() + TTL_MS });
  }
}
