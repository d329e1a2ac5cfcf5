import type { AppContext } from '../app/context.js';
import { expireGrant, sweepExpiredGrants } from '../app/expiry.js';
import { GRANT_EXPIRE_JOB } from '../app/grants.js';
import type { JobHandler } from './worker.js';
import type { PeriodicTask } from './scheduler.js';

/** Every job kind and its handler (one line each). */
export function buildHandlers(ctx: AppContext): Record<string, JobHandler> {
  return {
    [GRANT_EXPIRE_JOB]: (payload) => expireGrant(ctx, payload),
    'grants.sweep_expired': async () => {
      await sweepExpiredGrants(ctx);
    },
  };
}

/** Periodic tasks, each fired once per period across all instances. */
export function periodicTasks(_ctx: AppContext): PeriodicTask[] {
  return [{ name: 'grants.sweep_expired', everyMs: 60_000, kind: 'grants.sweep_expired' }];
}
