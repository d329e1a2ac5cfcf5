import type { Executor } from './db.js';

/**
 * Moves a periodic task's `last_period` to `period` if it is behind (creating its row the first
 * time). True for the one caller that moved it: that caller queues the period's run.
 */
export async function advancePeriod(db: Executor, name: string, period: number): Promise<boolean> {
  await db
    .insertInto('periodic_tasks')
    .values({ name, last_period: period - 1 })
    .onConflict((oc) => oc.column('name').doNothing())
    .execute();
  const r = await db
    .updateTable('periodic_tasks')
    .set({ last_period: period })
    .where('name', '=', name)
    .where('last_period', '<', period)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** True while a job of `kind` is queued or running. */
export async function hasPendingJobOfKind(db: Executor, kind: string): Promise<boolean> {
  const pending = await db
    .selectFrom('jobs')
    .select('id')
    .where('kind', '=', kind)
    .where('status', 'in', ['queued', 'running'])
    .executeTakeFirst();
  return pending !== undefined;
}
