import type { AppContext } from '../app/shared/context.js';
import { expireGrant, sweepExpiredGrants } from '../app/grants/expiry.js';
import { grantExpireJob, grantsSweepExpiredTask } from '../app/grants/jobs.js';
import { webhookDeliveryHandler } from '../app/webhooks/deliver.js';
import { billingJobs, billingPeriodicTasks } from '../app/billing/job-handlers.js';
import { accessJobs, accessPeriodicTasks } from '../app/access/job-handlers.js';
import { buyerJobs, buyerPeriodicTasks } from '../app/buyer/job-handlers.js';
import { ALERTS_SCAN_EVERY_MS, alertsScanTask, scanAlerts } from '../app/dashboard/alert-notifier.js';
import { everyPeriod, handle, jobMap, type JobMap, type PeriodicTask } from '../core/jobs.js';

/**
 * Every job kind and its handler. Each capability declares its kinds (with their payload schemas)
 * in its `jobs.ts` and pairs them with handlers in its `job-handlers.ts`; a kind registered twice
 * throws here, at start.
 */
export function buildHandlers(ctx: AppContext): JobMap {
  return jobMap([
    ...billingJobs(ctx),
    ...accessJobs(ctx),
    ...buyerJobs(ctx),
    handle(grantExpireJob, (payload) => expireGrant(ctx, payload)),
    handle(grantsSweepExpiredTask, async () => void (await sweepExpiredGrants(ctx))),
    webhookDeliveryHandler(ctx),
    handle(alertsScanTask, async () => void (await scanAlerts(ctx))),
  ]);
}

/** Periodic tasks, each fired once per period across all instances. */
export function periodicTasks(ctx: AppContext): PeriodicTask[] {
  return [
    everyPeriod(grantsSweepExpiredTask, 60_000),
    ...accessPeriodicTasks(ctx),
    ...billingPeriodicTasks(ctx),
    ...buyerPeriodicTasks(),
    everyPeriod(alertsScanTask, ALERTS_SCAN_EVERY_MS),
  ];
}
