import type { Executor } from '../../../adapters/store/db.js';
import type { Alert } from '../alerts.js';

/** The alerts already told about (table `alert_notices`). */

export async function openNotices(db: Executor) {
  return db.selectFrom('alert_notices').selectAll().where('resolved_at', 'is', null).execute();
}

/** Records an alert as seen now (a resolved one that came back is opened again). */
export async function recordNotice(db: Executor, alert: Alert, now: number, emailOwed: boolean) {
  const values = {
    kind: alert.kind,
    title: alert.title,
    message: alert.message,
    server_id: alert.server_id,
    first_seen_at: now,
    emailed_at: emailOwed ? null : now,
    resolved_at: null,
  };
  await db
    .insertInto('alert_notices')
    .values({ id: alert.id, ...values })
    .onConflict((oc) => oc.column('id').doUpdateSet(values))
    .execute();
}

export async function resolveNotice(db: Executor, id: string, now: number) {
  await db
    .updateTable('alert_notices')
    .set({ resolved_at: now })
    .where('id', '=', id)
    .where('resolved_at', 'is', null)
    .execute();
}

export async function unemailedNotices(db: Executor) {
  return db
    .selectFrom('alert_notices')
    .selectAll()
    .where('resolved_at', 'is', null)
    .where('emailed_at', 'is', null)
    .orderBy('first_seen_at')
    .execute();
}

export async function markEmailed(db: Executor, ids: string[], now: number) {
  if (ids.length === 0) return;
  await db.updateTable('alert_notices').set({ emailed_at: now }).where('id', 'in', ids).execute();
}
