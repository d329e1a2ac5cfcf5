import type { JobHandler } from '../../core/jobs.js';
import type { PeriodicTask } from '../../core/jobs.js';
import type { AppContext } from '../shared/context.js';
import { STRIPE_PROCESS_EVENT_JOB } from './ingest.js';
import { STRIPE_GRACE_CHECK_JOB, checkGrace } from './lifecycle.js';
import { processStripeEvent } from './process.js';
import { STRIPE_RECONCILE_EVERY_MS, STRIPE_RECONCILE_JOB, reconcileStripe } from './stripe-reconcile.js';

/** The Stripe part's job kinds (registered in src/main/job-handlers.ts). */
export function stripeJobHandlers(ctx: AppContext): Record<string, JobHandler> {
  return {
    [STRIPE_PROCESS_EVENT_JOB]: (payload) => processStripeEvent(ctx, payload),
    [STRIPE_GRACE_CHECK_JOB]: (payload) => checkGrace(ctx, payload),
    [STRIPE_RECONCILE_JOB]: async () => {
      await reconcileStripe(ctx);
    },
  };
}

/** Stripe reconciliation, only when Stripe is configured. */
export function stripePeriodicTasks(ctx: AppContext): PeriodicTask[] {
  return ctx.ports.stripe
    ? [{ name: STRIPE_RECONCILE_JOB, everyMs: STRIPE_RECONCILE_EVERY_MS, kind: STRIPE_RECONCILE_JOB }]
    : [];
}
