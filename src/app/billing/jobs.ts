import { z } from 'zod';
import { defineJob, defineTask } from '../../core/jobs.js';

/** The billing job kinds (handlers: ./job-handlers.ts). */

/** Applies one stored Stripe event (the inbox row, src/app/inbox). */
export const stripeProcessEventJob = defineJob(
  'stripe.process_event',
  z.object({ eventId: z.string().min(1) }),
);

/** Re-reads a past-due subscription when its grace period ends. */
export const stripeGraceCheckJob = defineJob('stripe.grace_check', z.object({ grantId: z.string().min(1) }));

/** Periodic: re-reads subscriptions and unpaid checkouts, feeds undelivered events into the inbox. */
export const stripeReconcileTask = defineTask('stripe.reconcile');

/** What Stripe does after a revoke (cancel, refund): docs/decisions/0010-revoke-billing.md. */
export const grantRevokeBillingJob = defineJob(
  'grant.revoke_billing',
  z.object({ grantId: z.string().min(1), cause: z.string() }),
);
export type RevokeBillingPayload = z.infer<typeof grantRevokeBillingJob.schema>;
