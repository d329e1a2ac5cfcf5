import { sql } from 'kysely';
import type { Executor } from '../../../adapters/store/db.js';
import { DEFAULT_MAX_ATTEMPTS } from '../../../adapters/store/queue.js';
import { storableText } from '../../../core/storable-text.js';

/** The Stripe events in the inbox (`inbox_events`, source `stripe`): stored once, processed once. */

export interface InboxEvent {
  id: string;
  type: string;
  payload: string;
}

/** Inserts an event; false when one with its id is stored already. */
export async function insertStripeEvent(db: Executor, event: InboxEvent, now: number): Promise<boolean> {
  const r = await db
    .insertInto('inbox_events')
    .values({
      source: 'stripe',
      id: event.id,
      type: event.type,
      payload: event.payload,
      received_at: now,
      processed_at: null,
      error: null,
    })
    .onConflict((oc) => oc.columns(['source', 'id']).doNothing())
    .executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0n) === 1;
}

/**
 * PostgreSQL only: every inbox row and its processing job in ONE statement (a data-modifying CTE is
 * atomic): one round trip and one commit for the whole batch. Job rows match what `enqueue` writes
 * without a key. `events` carry distinct ids and a job id each; returns the ids that were new.
 */
export async function insertStripeEventsWithJobs(
  db: Executor,
  events: (InboxEvent & { jobId: string; jobPayload: string })[],
  jobKind: string,
  now: number,
): Promise<Set<string>> {
  const rows = events.map(
    (e) => sql`(${e.id}::text, ${e.type}::text, ${e.payload}::text, ${e.jobId}::text, ${e.jobPayload}::text)`,
  );
  const r = await sql<{ id: string }>`
    WITH v (id, type, payload, job_id, job_payload) AS (VALUES ${sql.join(rows)}),
    ins AS (
      INSERT INTO inbox_events (source, id, type, payload, received_at)
      SELECT 'stripe', id, type, payload, ${now}::bigint FROM v
      ON CONFLICT (source, id) DO NOTHING RETURNING id
    ),
    queued AS (
      INSERT INTO jobs (id, kind, payload, status, dedupe_key, attempts, max_attempts, run_at, created_at, updated_at)
      SELECT v.job_id, ${jobKind}::text, v.job_payload, 'queued', NULL, 0,
        ${DEFAULT_MAX_ATTEMPTS}::int, ${now}::bigint, ${now}::bigint, ${now}::bigint
      FROM ins JOIN v ON v.id = ins.id
      RETURNING id
    )
    SELECT id FROM ins`.execute(db);
  return new Set(r.rows.map((row) => row.id));
}

/** Marks an inbox event processed (or records why it failed, for the operator). */
export async function markEvent(db: Executor, id: string, now: number, error: string | null) {
  await db
    .updateTable('inbox_events')
    .set(error === null ? { processed_at: now, error: null } : { error: storableText(error, 2000) })
    .where('source', '=', 'stripe')
    .where('id', '=', id)
    .execute();
}

export async function storedStripeEvent(db: Executor, id: string) {
  const row = await db
    .selectFrom('inbox_events')
    .select(['payload', 'processed_at'])
    .where('source', '=', 'stripe')
    .where('id', '=', id)
    .executeTakeFirst();
  return row ?? null;
}
