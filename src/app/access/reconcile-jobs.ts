import { z } from 'zod';
import { FailureError } from '../../core/failure.js';
import type { JobHandler } from '../../core/jobs.js';
import { RetryLater } from '../../core/jobs.js';
import type { PeriodicTask } from '../../core/jobs.js';
import type { AppContext } from '../shared/context.js';
import { inTransaction } from '../shared/context.js';
import { reconcileServer } from './reconcile.js';
import { serversIn } from './store/servers.js';
import {
  ACCESS_ENDING_JOB,
  PAYMENT_FAILED_JOB,
  REMINDERS_SWEEP_EVERY_MS,
  REMINDERS_SWEEP_JOB,
  sendAccessEndingReminder,
  sendPaymentFailedReminder,
  sweepReminders,
} from '../buyer/reminders.js';

/** Periodic: queues one `reconcile.server` per connected server. */
export const RECONCILE_ALL_JOB = 'reconcile.all';
export const RECONCILE_SERVER_JOB = 'reconcile.server';

const serverPayload = z.object({ serverId: z.string() });

/**
 * Fans out one job per server (deduplicated per server, so a slow server never piles up runs): a
 * big server then never delays the others, and a failing one retries alone.
 */
export async function queueReconcileAll(ctx: AppContext): Promise<number> {
  if (!ctx.ports.discord) return 0;
  const servers = await serversIn(ctx.db.kysely, ['active', 'paused']);
  await inTransaction(ctx, async (tx) => {
    for (const s of servers)
      await tx.enqueue({
        kind: RECONCILE_SERVER_JOB,
        payload: { serverId: s.id },
        dedupeKey: `reconcile:${s.id}`,
      });
  });
  return servers.length;
}

/** One server's reconcile; a long 429 is rescheduled for when Discord allows it, without using an attempt. */
export async function runReconcileServerJob(ctx: AppContext, payload: unknown): Promise<void> {
  const { serverId } = serverPayload.parse(payload);
  try {
    const report = await reconcileServer(ctx, serverId, { cause: 'reconcile' });
    ctx.log.info(
      {
        serverId,
        outcome: report.outcome,
        membersRead: report.membersRead,
        drift: report.drift.length,
        repaired: report.repaired,
        calls: report.listCalls + report.memberReads + report.writeCalls,
      },
      'server reconciled',
    );
  } catch (err) {
    if (
      err instanceof FailureError &&
      err.failure.owner === 'retry' &&
      err.failure.retryAfterMs !== undefined
    )
      throw new RetryLater(Date.now() + err.failure.retryAfterMs, err.failure.message);
    throw err;
  }
}

export function reconcileJobHandlers(ctx: AppContext): Record<string, JobHandler> {
  return {
    [RECONCILE_ALL_JOB]: async () => void (await queueReconcileAll(ctx)),
    [RECONCILE_SERVER_JOB]: (payload) => runReconcileServerJob(ctx, payload),
    [REMINDERS_SWEEP_JOB]: async () => void (await sweepReminders(ctx)),
    [ACCESS_ENDING_JOB]: async (payload) => void (await sendAccessEndingReminder(ctx, payload)),
    [PAYMENT_FAILED_JOB]: async (payload) => void (await sendPaymentFailedReminder(ctx, payload)),
  };
}

export function reconcilePeriodicTasks(ctx: AppContext): PeriodicTask[] {
  return [
    {
      name: RECONCILE_ALL_JOB,
      everyMs: Math.round(ctx.config.RECONCILE_INTERVAL_MINUTES * 60_000),
      kind: RECONCILE_ALL_JOB,
    },
    { name: REMINDERS_SWEEP_JOB, everyMs: REMINDERS_SWEEP_EVERY_MS, kind: REMINDERS_SWEEP_JOB },
  ];
}
