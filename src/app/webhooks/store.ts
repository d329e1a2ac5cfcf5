import { sql, type Selectable } from 'kysely';
import type { Executor } from '../../adapters/store/db.js';
import type {
  WebhookAttemptsTable,
  WebhookDeliveriesTable,
  WebhookEndpointsTable,
} from '../../adapters/store/schema.js';

/** The webhooks capability's queries: endpoints, deliveries, attempts (and the attempt jobs queued for them). */

export type EndpointRow = Selectable<WebhookEndpointsTable>;
export type DeliveryRow = Selectable<WebhookDeliveriesTable>;
export type AttemptRow = Selectable<WebhookAttemptsTable>;

// --- endpoints ---

export async function insertEndpoint(db: Executor, row: EndpointRow): Promise<void> {
  await db.insertInto('webhook_endpoints').values(row).execute();
}

export async function endpointById(db: Executor, id: string): Promise<EndpointRow | null> {
  const row = await db.selectFrom('webhook_endpoints').selectAll().where('id', '=', id).executeTakeFirst();
  return row ?? null;
}

/** A page of endpoints, newest first, one more than `limit` so the caller can tell there is more. */
export async function endpointsPage(
  db: Executor,
  page: { afterId?: string | undefined; limit: number },
): Promise<EndpointRow[]> {
  let q = db
    .selectFrom('webhook_endpoints')
    .selectAll()
    .orderBy('id', 'desc')
    .limit(page.limit + 1);
  if (page.afterId) q = q.where('id', '<', page.afterId);
  return q.execute();
}

/** The enabled endpoints (or just `onlyId`, if enabled) with their event filters. */
export async function enabledEndpoints(db: Executor, onlyId?: string) {
  let query = db.selectFrom('webhook_endpoints').select(['id', 'event_types']).where('enabled', '=', 1);
  if (onlyId !== undefined) query = query.where('id', '=', onlyId);
  return query.execute();
}

export async function updateEndpointRow(
  db: Executor,
  id: string,
  update: Partial<EndpointRow>,
): Promise<void> {
  await db.updateTable('webhook_endpoints').set(update).where('id', '=', id).execute();
}

/** Deletes an endpoint with its deliveries and their attempts (call inside a transaction). */
export async function deleteEndpointCascade(db: Executor, id: string): Promise<void> {
  const deliveries = db.selectFrom('webhook_deliveries').select('id').where('endpoint_id', '=', id);
  await db.deleteFrom('webhook_attempts').where('delivery_id', 'in', deliveries).execute();
  await db.deleteFrom('webhook_deliveries').where('endpoint_id', '=', id).execute();
  await db.deleteFrom('webhook_endpoints').where('id', '=', id).execute();
}

/**
 * Notes one attempt's verdict on its endpoint and returns the endpoint's failure streak.
 * `failing_since` is kept in SQL so concurrent attempts to one endpoint cannot overwrite each other.
 */
export async function noteEndpointVerdict(db: Executor, id: string, succeeded: boolean, startedAt: number) {
  await db
    .updateTable('webhook_endpoints')
    .set({ failing_since: succeeded ? null : sql<number>`COALESCE(failing_since, ${startedAt})` })
    .where('id', '=', id)
    .execute();
  return db
    .selectFrom('webhook_endpoints')
    .select(['failing_since', 'enabled'])
    .where('id', '=', id)
    .executeTakeFirstOrThrow();
}

// --- deliveries and attempts ---

export async function insertDelivery(db: Executor, row: DeliveryRow): Promise<void> {
  await db.insertInto('webhook_deliveries').values(row).execute();
}

export async function deliveryById(db: Executor, id: string): Promise<DeliveryRow | null> {
  const row = await db.selectFrom('webhook_deliveries').selectAll().where('id', '=', id).executeTakeFirst();
  return row ?? null;
}

export async function deliveriesPage(
  db: Executor,
  endpointId: string,
  page: { afterId?: string | undefined; limit: number; status?: string | undefined },
): Promise<DeliveryRow[]> {
  let q = db
    .selectFrom('webhook_deliveries')
    .selectAll()
    .where('endpoint_id', '=', endpointId)
    .orderBy('id', 'desc')
    .limit(page.limit + 1);
  if (page.afterId) q = q.where('id', '<', page.afterId);
  if (page.status) q = q.where('status', '=', page.status);
  return q.execute();
}

export async function attemptsOfDeliveries(db: Executor, deliveryIds: string[]): Promise<AttemptRow[]> {
  return db
    .selectFrom('webhook_attempts')
    .selectAll()
    .where('delivery_id', 'in', deliveryIds)
    .orderBy('attempt')
    .execute();
}

export type DeliveryChange = Partial<
  Pick<
    DeliveryRow,
    'status' | 'attempts' | 'next_attempt_at' | 'last_status_code' | 'last_error' | 'updated_at'
  >
>;

/**
 * Changes a delivery only if it is still as the caller saw it (`status`, `attempts`), so two runs
 * cannot both record the same attempt; false when another got there first.
 */
export async function updateDeliveryIf(
  db: Executor,
  id: string,
  seen: { status: string; attempts: number },
  change: DeliveryChange,
): Promise<boolean> {
  const r = await db
    .updateTable('webhook_deliveries')
    .set(change)
    .where('id', '=', id)
    .where('status', '=', seen.status)
    .where('attempts', '=', seen.attempts)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

export async function insertAttempt(db: Executor, row: Omit<AttemptRow, 'id'>): Promise<void> {
  await db.insertInto('webhook_attempts').values(row).execute();
}

/**
 * True when an attempt job (`kind`) for this delivery is queued or running. The payload is JSON
 * text written by enqueueWebhookAttempt; ids hold `_`, a LIKE wildcard.
 */
export async function hasLiveAttemptJobRow(db: Executor, kind: string, deliveryId: string): Promise<boolean> {
  const pattern = `%"deliveryId":"${deliveryId.replace(/[\\%_]/g, (c) => `\\${c}`)}"%`;
  const row = await db
    .selectFrom('jobs')
    .select('id')
    .where('kind', '=', kind)
    .where('status', 'in', ['queued', 'running'])
    .where(sql<boolean>`payload LIKE ${pattern} ESCAPE '\\'`)
    .executeTakeFirst();
  return row !== undefined;
}
