import { sql } from 'kysely';
import type { Executor } from '../../adapters/store/db.js';
import { newId } from '../../core/ids.js';
import { storableText } from '../../core/storable-text.js';

/** The inbox's queries (`inbox_events`): see ./inbox.ts. */

export type InboxSource = 'stripe' | 'discord';

export interface InboxEntry {
  source: InboxSource;
  id: string;
  type: string;
  /** The input as received (raw JSON text). */
  payload: string;
  guildId?: string | null;
  userId?: string | null;
}

/** Writes the entry unless one with its source and id is stored; true when this call stored it. */
export async function insertInboxEntry(db: Executor, entry: InboxEntry, now: number): Promise<boolean> {
  const r = await db
    .insertInto('inbox_events')
    .values({
      source: entry.source,
      id: entry.id,
      type: entry.type,
      payload: entry.payload,
      received_at: now,
      processed_at: null,
      error: null,
      guild_id: entry.guildId ?? null,
      user_id: entry.userId ?? null,
    })
    .onConflict((oc) => oc.columns(['source', 'id']).doNothing())
    .executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0n) === 1;
}

/**
 * PostgreSQL: many entries and one job each in ONE statement (a data-modifying CTE is atomic): one
 * round trip and one commit for a whole batch. The job rows match what `enqueue` writes without a
 * dedupe key; each job's payload is `{ eventId }`. Returns the ids that were new.
 */
export async function insertInboxEntriesWithJobs(
  db: Executor,
  entries: InboxEntry[],
  job: { kind: string; maxAttempts: number },
  now: number,
): Promise<Set<string>> {
  if (entries.length === 0) return new Set();
  const rows = entries.map(
    (e) =>
      sql`(${e.id}::text, ${e.type}::text, ${e.payload}::text, ${newId('job', now)}::text, ${JSON.stringify({ eventId: e.id })}::text)`,
  );
  const source = entries[0]!.source;
  const r = await sql<{ id: string }>`
    WITH v (id, type, payload, job_id, job_payload) AS (VALUES ${sql.join(rows)}),
    ins AS (
      INSERT INTO inbox_events (source, id, type, payload, received_at)
      SELECT ${source}::text, id, type, payload, ${now}::bigint FROM v
      ON CONFLICT (source, id) DO NOTHING RETURNING id
    ),
    queued AS (
      INSERT INTO jobs (id, kind, payload, status, dedupe_key, attempts, max_attempts, run_at, created_at, updated_at)
      SELECT v.job_id, ${job.kind}::text, v.job_payload, 'queued', NULL, 0,
        ${job.maxAttempts}::int, ${now}::bigint, ${now}::bigint, ${now}::bigint
      FROM ins JOIN v ON v.id = ins.id
      RETURNING id
    )
    SELECT id FROM ins`.execute(db);
  return new Set(r.rows.map((row) => row.id));
}

export async function inboxEntry(db: Executor, source: InboxSource, id: string) {
  return db
    .selectFrom('inbox_events')
    .selectAll()
    .where('source', '=', source)
    .where('id', '=', id)
    .executeTakeFirst();
}

/** How handling one entry ended. */
export interface InboxResult {
  /** `answered`, `failed`, `applied`, `ignored`, … */
  outcome: string;
  /** Why it failed (kept for people: cleaned and capped). Null when it did not. */
  error: string | null;
  /** The answer given, when the input wants one (an interaction). */
  response?: string | null;
  /** False: the failure is recorded but the entry stays unhandled (a retry is queued). Default true. */
  handled?: boolean;
}

export async function markInboxEntry(
  db: Executor,
  source: InboxSource,
  id: string,
  result: InboxResult,
  now: number,
): Promise<void> {
  const error = result.error === null ? null : storableText(result.error, 2000);
  await db
    .updateTable('inbox_events')
    .set({
      ...(result.handled === false ? {} : { processed_at: now }),
      outcome: result.outcome,
      error,
      ...(result.response === undefined ? {} : { response: result.response }),
    })
    .where('source', '=', source)
    .where('id', '=', id)
    .execute();
}
