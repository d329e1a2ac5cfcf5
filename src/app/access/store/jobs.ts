import type { Executor } from '../../../adapters/store/db.js';
import { memberSyncJob } from '../jobs.js';

/** Access's one look into queued jobs: a member sync waiting with an observation of the member. */

/**
 * Gives the queued (not yet running) member sync of this member the newer observation, when it
 * was queued with one. False when there is no such job.
 */
export async function refreshQueuedObservation(
  db: Executor,
  serverId: string,
  userId: string,
  roleIds: readonly string[],
): Promise<boolean> {
  const queued = await db
    .selectFrom('jobs')
    .select(['id', 'payload'])
    .where('dedupe_key', '=', `sync:${serverId}:${userId}`)
    .where('status', '=', 'queued')
    .executeTakeFirst();
  if (!queued) return false;
  const parsed = memberSyncJob.schema.safeParse(JSON.parse(queued.payload));
  if (!parsed.success || !parsed.data.observedRoles) return false;
  const payload = parsed.data;
  await db
    .updateTable('jobs')
    .set({ payload: JSON.stringify({ ...payload, observedRoles: [...roleIds] }) })
    .where('id', '=', queued.id)
    .where('status', '=', 'queued')
    .execute();
  return true;
}
