import type { Executor } from '../../../adapters/store/db.js';
import type { Job } from '../../../adapters/store/queue.js';

/** The dashboard's reads and bulk retry of the job queue (the queue itself: adapters/store/queue.ts). */

export interface JobFilter {
  status?: 'queued' | 'running' | 'dead' | undefined;
  kind?: string | undefined;
  afterId?: string | undefined;
  limit: number;
}

/** Jobs newest first, `limit + 1` rows for `toPage`. */
export async function findJobs(db: Executor, f: JobFilter): Promise<Job[]> {
  let q = db.selectFrom('jobs').selectAll();
  if (f.status) q = q.where('status', '=', f.status);
  if (f.kind) q = q.where('kind', '=', f.kind);
  if (f.afterId) q = q.where('id', '<', f.afterId);
  return q
    .orderBy('id', 'desc')
    .limit(f.limit + 1)
    .execute();
}

export async function jobById(db: Executor, id: string): Promise<Job | null> {
  return (await db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst()) ?? null;
}

/** Every dead job (of one kind, if given) queued again with a fresh set of attempts; how many. */
export async function requeueDeadJobs(db: Executor, now: number, kind?: string): Promise<number> {
  let q = db
    .updateTable('jobs')
    .set({ status: 'queued', attempts: 0, run_at: now, updated_at: now, last_error: null })
    .where('status', '=', 'dead');
  if (kind) q = q.where('kind', '=', kind);
  return Number((await q.executeTakeFirst()).numUpdatedRows);
}
