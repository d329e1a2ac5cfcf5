import type { AppContext } from '../app/shared/context.js';
import { expireGrant, sweepExpiredGrants } from '../app/grants/expiry.js';
import { GRANT_EXPIRE_JOB, MEMBER_SYNC_JOB } from '../app/grants/grants.js';
import { WEBHOOK_DELIVER_JOB } from '../app/webhooks/events.js';
import { GRANT_REVOKE_BILLING_JOB, runRevokeBilling } from '../app/billing/revoke.js';
import { webhookDeliveryHandler } from '../app/webhooks/deliver.js';
import { stripeJobHandlers, stripePeriodicTasks } from '../app/billing/jobs.js';
import { SERVERS_HEAL_EVERY_MS, SERVERS_HEAL_JOB, healPausedServers } from '../app/access/heal.js';
import { runMemberSyncJob } from '../app/access/member-sync-job.js';
import { discordUxJobHandlers, discordUxPeriodicTasks } from '../app/buyer/discord-jobs.js';
import { reconcileJobHandlers, reconcilePeriodicTasks } from '../app/access/reconcile-jobs.js';
import { buyerJobHandlers, buyerPeriodicTasks } from '../app/buyer/jobs.js';
import { gatewayJobHandlers } from '../app/access/gateway-events.js';
import type { JobHandler } from '../core/jobs.js';
import type { PeriodicTask } from '../core/jobs.js';
import { ALERTS_SCAN_EVERY_MS, ALERTS_SCAN_JOB, scanAlerts } from '../app/dashboard/alert-notifier.js';

/** Every job kind and its handler (one line each). */
export function buildHandlers(ctx: AppContext): Record<string, JobHandler> {
  return {
    ...stripeJobHandlers(ctx),
    ...discordUxJobHandlers(ctx),
    ...reconcileJobHandlers(ctx),
    ...buyerJobHandlers(ctx),
    ...gatewayJobHandlers(ctx),
    [GRANT_EXPIRE_JOB]: (payload) => expireGrant(ctx, payload),
    [MEMBER_SYNC_JOB]: (payload) => runMemberSyncJob(ctx, payload),
    [GRANT_REVOKE_BILLING_JOB]: (payload, { job }) =>
      runRevokeBilling(ctx, payload, { final: job.attempts >= job.max_attempts }),
    [SERVERS_HEAL_JOB]: async () => void (await healPausedServers(ctx)),
    [WEBHOOK_DELIVER_JOB]: webhookDeliveryHandler(ctx),
    [ALERTS_SCAN_JOB]: async () => void (await scanAlerts(ctx)),
    'grants.sweep_expired': async () => {
      await sweepExpiredGrants(ctx);
    },
  };
}

/** Periodic tasks, each fired once per period across all instances. */
export function periodicTasks(ctx: AppContext): PeriodicTask[] {
  return [
    { name: 'grants.sweep_expired', everyMs: 60_000, kind: 'grants.sweep_expired' },
    { name: SERVERS_HEAL_JOB, everyMs: SERVERS_HEAL_EVERY_MS, kind: SERVERS_HEAL_JOB },
    ...stripePeriodicTasks(ctx),
    ...discordUxPeriodicTasks(),
    ...reconcilePeriodicTasks(ctx),
    ...buyerPeriodicTasks(),
    { name: ALERTS_SCAN_JOB, everyMs: ALERTS_SCAN_EVERY_MS, kind: ALERTS_SCAN_JOB },
  ];
}
