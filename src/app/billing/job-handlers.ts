import { everyPeriod, handle, type PeriodicTask, type RegisteredJob } from '../../core/jobs.js';
import type { AppContext } from '../shared/context.js';
import {
  grantRevokeBillingJob,
  stripeGraceCheckJob,
  stripeProcessEventJob,
  stripeReconcileTask,
} from './jobs.js';
import { checkGrace } from './lifecycle.js';
import { processStripeEvent } from './process.js';
import { runRevokeBilling } from './revoke.js';
import { STRIPE_RECONCILE_EVERY_MS, reconcileStripe } from './stripe-reconcile.js';

/** The billing job kinds and their handlers (put together in src/main/job-handlers.ts). */
export function billingJobs(ctx: AppContext): RegisteredJob[] {
  return [
    handle(stripeProcessEventJob, (payload) => processStripeEvent(ctx, payload)),
    handle(stripeGraceCheckJob, (payload) => checkGrace(ctx, payload)),
    handle(stripeReconcileTask, async () => void (await reconcileStripe(ctx))),
    handle(grantRevokeBillingJob, (payload, { job }) =>
      runRevokeBilling(ctx, payload, { final: job.attempts >= job.max_attempts }),
    ),
  ];
}

/** Stripe reconciliation, only when Stripe is configured. */
export function billingPeriodicTasks(ctx: AppContext): PeriodicTask[] {
  return ctx.ports.stripe ? [everyPeriod(stripeReconcileTask, STRIPE_RECONCILE_EVERY_MS)] : [];
}
