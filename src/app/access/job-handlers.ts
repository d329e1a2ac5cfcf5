import { everyPeriod, handle, type PeriodicTask, type RegisteredJob } from '../../core/jobs.js';
import type { AppContext } from '../shared/context.js';
import { runServerCheckJob } from './gateway-events.js';
import { SERVERS_HEAL_EVERY_MS, healPausedServers } from './heal.js';
import {
  memberSyncJob,
  reconcileAllTask,
  reconcileServerJob,
  serverCheckJob,
  serversHealTask,
} from './jobs.js';
import { runMemberSyncJob } from './member-sync-job.js';
import { queueReconcileAll, runReconcileServerJob } from './reconcile-jobs.js';

/** The Discord roles' job kinds and their handlers (put together in src/main/job-handlers.ts). */
export function accessJobs(ctx: AppContext): RegisteredJob[] {
  return [
    handle(memberSyncJob, (payload) => runMemberSyncJob(ctx, payload)),
    handle(serverCheckJob, (payload) => runServerCheckJob(ctx, payload)),
    handle(serversHealTask, async () => void (await healPausedServers(ctx))),
    handle(reconcileAllTask, async () => void (await queueReconcileAll(ctx))),
    handle(reconcileServerJob, (payload) => runReconcileServerJob(ctx, payload)),
  ];
}

export function accessPeriodicTasks(ctx: AppContext): PeriodicTask[] {
  return [
    everyPeriod(serversHealTask, SERVERS_HEAL_EVERY_MS),
    everyPeriod(reconcileAllTask, Math.round(ctx.config.RECONCILE_INTERVAL_MINUTES * 60_000)),
  ];
}
