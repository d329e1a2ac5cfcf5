/**
 * Injected failures: the next N API requests matching a method and path are answered with a Stripe
 * error instead of being run, so tests can watch a caller retry against real HTTP. The answer carries
 * `Stripe-Should-Retry: false`, which tells stripe-node not to retry by itself: the caller's own
 * retry (a job's backoff) is what is under test.
 */
import { StripeApiError } from './errors.js';
import type { HttpMethod } from './router.js';

export interface FaultOptions {
  /** HTTP status of the injected answer. Default 500 (`api_error`). */
  status?: number;
  /** How many matching requests fail before requests run again. Default 1. */
  times?: number;
}

interface FaultRule {
  method: HttpMethod;
  path: RegExp;
  status: number;
  remaining: number;
}

export class FaultInjector {
  private rules: FaultRule[] = [];

  add(method: HttpMethod, path: RegExp, options: FaultOptions = {}): void {
    this.rules.push({ method, path, status: options.status ?? 500, remaining: options.times ?? 1 });
  }

  /** The error to answer this request with, or null to run it. Uses up one failure of the rule. */
  take(method: string, path: string): StripeApiError | null {
    const rule = this.rules.find((r) => r.method === method && r.path.test(path) && r.remaining > 0);
    if (rule === undefined) return null;
    rule.remaining -= 1;
    this.rules = this.rules.filter((r) => r.remaining > 0);
    const type = rule.status >= 500 ? 'api_error' : 'invalid_request_error';
    return new StripeApiError(rule.status, type, `Injected failure (${rule.status}) of ${method} ${path}.`);
  }

  /** Requests still set to fail. */
  pending(): number {
    return this.rules.reduce((n, r) => n + r.remaining, 0);
  }
}
