import { FailureError } from '../../core/failure.js';
import { RetryLater } from '../../core/jobs.js';
import type { AppContext } from '../shared/context.js';
import type { MemberSyncPayload } from './jobs.js';
import { syncMember } from './member-sync.js';

/**
 * The `member.sync` job. Retry-owned failures propagate as FailureError (the worker backs off with
 * jitter); a 429 whose wait is known is rescheduled for exactly then without using an attempt.
 * Merchant, customer and bug failures are recorded on the grants and end the job: retrying could
 * not help, and for merchant failures the heal task takes over.
 */
export async function runMemberSyncJob(ctx: AppContext, payload: MemberSyncPayload): Promise<void> {
  try {
    await syncMember(ctx, payload.serverId, payload.userId, payload.cause, {
      verify: payload.verify === true,
      ...(payload.observedRoles
        ? { observed: { userId: payload.userId, roleIds: payload.observedRoles } }
        : {}),
    });
  } catch (err) {
    if (
      err instanceof FailureError &&
      err.failure.code === 'rate_limited' &&
      err.failure.retryAfterMs !== undefined
    )
      throw new RetryLater(Date.now() + err.failure.retryAfterMs, err.failure.message);
    throw err;
  }
}
