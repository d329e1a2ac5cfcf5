import { FailureError } from '../../core/failure.js';
import { RetryLater } from '../../core/jobs.js';
import type { AppContext } from '../shared/context.js';
import { inTransaction } from '../shared/context.js';
import { reconcileServer } from './reconcile.js';
import { reconcileServerJob } from './jobs.js';
import { serversIn } from './store/servers.js';

/**
 * Fans out one job per server (deduplicated per server, so a slow server never piles up runs): a
 * big server then never delays the others, and a failing one retries alone.
 */
export async function queueReconcileAll(ctx: AppContext): Promise<number> {
  if (!ctx.ports.discord) return 0;
  const servers = await serversIn(ctx.db.kysely, ['active', 'paused']);
  await inTransaction(ctx, async (tx) => {
    for (const s of servers)
      await tx.enqueue(reconcileServerJob, { serverId: s.id }, { dedupeKey: `reconcile:${s.id}` });
  });
  return servers.length;
}

/** One server's reconcile; a long 429 is rescheduled for when Discord allows it, without using an attempt. */
export async function runReconcileServerJob(
  ctx: AppContext,
  { serverId }: { serverId: string },
): Promise<void> {
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
