import { AppError } from '../core/errors.js';
import { FailureError } from '../core/failure.js';

/** A Discord failure during a request becomes one of our API errors, in the merchant's words. */
export async function discordCall<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (!(err instanceof FailureError)) throw err;
    if (err.failure.owner === 'retry') throw new AppError('service_unavailable', err.failure.message);
    throw new AppError('unprocessable', err.failure.message, { reason: err.failure.code });
  }
}
