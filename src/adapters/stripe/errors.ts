import Stripe from 'stripe';
import { FailureError, type Failure } from '../../core/failure.js';

/**
 * Maps a Stripe SDK error to a classified failure: connection problems, 429 and 5xx are `retry`;
 * a 4xx on a request we built is a `bug` (a wrong id or parameter will not fix itself).
 */
export function classifyStripeError(err: unknown): Failure {
  if (err instanceof Stripe.errors.StripeError) {
    const status = err.statusCode ?? 0;
    if (
      err instanceof Stripe.errors.StripeConnectionError ||
      err instanceof Stripe.errors.StripeRateLimitError ||
      status === 429 ||
      status >= 500 ||
      status === 0
    ) {
      return { owner: 'retry', code: 'stripe_unavailable', message: `Stripe: ${err.message}` };
    }
    if (status === 401 || status === 403) {
      return {
        owner: 'merchant',
        code: 'stripe_auth',
        message: `Stripe rejected the API key: ${err.message}`,
      };
    }
    if (status === 404) return { owner: 'bug', code: 'stripe_not_found', message: `Stripe: ${err.message}` };
    return { owner: 'bug', code: err.code ?? 'stripe_invalid_request', message: `Stripe: ${err.message}` };
  }
  return {
    owner: 'retry',
    code: 'stripe_unavailable',
    message: `Stripe: ${err instanceof Error ? err.message : String(err)}`,
  };
}

export async function call<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw new FailureError(classifyStripeError(err));
  }
}
