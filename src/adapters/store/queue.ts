import { sql } from 'kysely';
import type { Db, Dialect, Executor } from './db.js';
import type { JobsTable } from './schema.js';
import { newId } from '../../core/ids.js';
import { storableText } from '../../core/storable-text.js';

/**
 * The durable job queue: one table on both backends (see docs/decisions/0002-job-queue.md).
 * Every function takes an executor so a job can be written in the same transaction as the change
 * that causes it.
 */

export interface EnqueueOptions {
  kind: string;
  payload?: unknown;
  /** When to run, epoch ms. Default: now. */
  runAt?: number;
  /**
   * While a job with this key is queued, another enqueue with the key is absorbed into it; and a job
   * is never claimed while another job with its key is running, so runs for one key never overlap.
   */
  dedupeKey?: string;
  /** When absorbed into a queued job, replace that job's payload with this one (default: keep the first). */
  replacePayload?: boolean;
  /** Attempts before the job is `dead`. Default 12 (about 1.5 hours of backoff). */
  maxAttempts?: number;
}

export type Job = JobsTable;

export const DEFAULT_MAX_ATTEMPTS = 12;

/**
 * A failed run's message is kept for people (`rolegate jobs`, the dashboard): it often quotes a
 * vendor, so it is cleaned (no NUL, which PostgreSQL refuses in text) and capped in bytes.
 */
export const LAST_ERROR_MAX_BYTES = 2000;

function jobRow(options: EnqueueOptions, now: number) {
  return {
    id: newId('job', now),
    kind: options.kind,
    payload: JSON.stringify(options.payload ?? {}),
    status: 'queued',
    dedupe_key: options.dedupeKey ?? null,
    attempts: 0,
    max_attempts: options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
    run_at: options.runAt ?? now,
    locked_by: null,
    locked_until: null,
    last_error: null,
    created_at: now,
    updated_at: now,
  };
}

export async function enqueue(
  db: Executor,
  dialect: Dialect,
  options: EnqueueOptions,
  now = Date.now(),
): Promise<void> {
  const row = jobRow(options, now);
  if (!options.dedupeKey) {
    await db.insertInto('jobs').values(row).execute();
    return;
  }
  // A duplicate only moves the queued job earlier, never later.
  const earliest =
    dialect === 'postgres'
      ? sql`LEAST(jobs.run_at, excluded.run_at)`
      : sql`MIN(jobs.run_at, excluded.run_at)`;
  await db
    .insertInto('jobs')
    .values(row)
    .onConflict((oc) =>
      oc
        .column('dedupe_key')
        // A literal, not a bound parameter: SQLite matches a partial index only by its exact predicate.
        .where(sql<boolean>`status = 'queued'`)
        .doUpdateSet({
          run_at: earliest as never,
          updated_at: now,
          ...(options.replacePayload ? { payload: row.payload } : {}),
        }),
    )
    .execute();
}

/**
 * Rows per multi-row INSERT: 13 parameters a row stays well under SQLite's 32 766 and
 * PostgreSQL's 65 535 bound-parameter limits.
 */
const INSERT_CHUNK = 1000;

/**
 * Enqueues many jobs at once, all or none. Jobs without a dedupe key go in multi-row INSERTs (one
 * statement per thousand, instead of a round trip and commit each); jobs with one go through the
 * same upsert as `enqueue`, one by one, because one statement may not upsert the same key twice.
 */
export async function enqueueMany(
  db: Executor,
  dialect: Dialect,
  jobs: EnqueueOptions[],
  now = Date.now(),
): Promise<void> {
  if (jobs.length === 0) return;
  if (!db.isTransaction && jobs.length > 1) {
    await db.transaction().execute((trx) => enqueueMany(trx, dialect, jobs, now));
    return;
  }
  const plain = jobs.filter((j) => !j.dedupeKey).map((j) => jobRow(j, now));
  for (let i = 0; i < plain.length; i += INSERT_CHUNK) {
    await db
      .insertInto('jobs')
      .values(plain.slice(i, i + INSERT_CHUNK))
      .execute();
  }
  for (const j of jobs) if (j.dedupeKey) await enqueue(db, dialect, j, now);
}

/**
 * Claims up to `limit` due jobs for `worker` with a lease. PostgreSQL: `FOR UPDATE SKIP LOCKED`, so
 * workers never wait on each other; SQLite: one `UPDATE … RETURNING` under the single writer lock.
 */
export async function claimJobs(
  db: Db,
  worker: string,
  limit: number,
  leaseMs: number,
  now = Date.now(),
): Promise<Job[]> {
  const lockClause = db.dialect === 'postgres' ? sql`FOR UPDATE SKIP LOCKED` : sql``;
  const result = await sql<Job>`
    UPDATE jobs SET status = 'running', locked_by = ${worker}, locked_until = ${now + leaseMs},
      attempts = attempts + 1, updated_at = ${now}
    WHERE id IN (
      SELECT id FROM jobs WHERE status = 'queued' AND run_at <= ${now}
        AND (dedupe_key IS NULL OR NOT EXISTS (
          SELECT 1 FROM jobs AS r WHERE r.status = 'running' AND r.dedupe_key = jobs.dedupe_key))
      ORDER BY run_at LIMIT ${limit} ${lockClause}
    )
    RETURNING *`.execute(db.kysely);
  // RETURNING order is unspecified; hand jobs out oldest first.
  return result.rows.sort((a, b) => a.run_at - b.run_at);
}

/** Removes a finished job. Only the lease holder may: a reaped job's late finish changes nothing. */
export async function completeJob(db: Executor, job: Pick<Job, 'id'>, worker: string): Promise<boolean> {
  return (await completeJobs(db, [job.id], worker)).has(job.id);
}

/**
 * Removes many finished jobs in one statement (a worker batches the completions of one tick).
 * Returns the ids this worker still held and so removed; the others were reaped and belong to
 * someone else now.
 */
export async function completeJobs(db: Executor, ids: string[], worker: string): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await db
    .deleteFrom('jobs')
    .where('id', 'in', ids)
    .where('locked_by', '=', worker)
    .where('status', '=', 'running')
    .returning('id')
    .execute();
  return new Set(rows.map((r) => r.id));
}

/** Exponential backoff with full jitter: base 1 s doubling, capped at 1 h. */
export function backoffMs(attempt: number, random = Math.random()): number {
  const ceiling = Math.min(3_600_000, 1000 * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + (ceiling / 2) * random);
}

/**
 * Records a failed run: back to `queued` after a backoff (or at `retryAt`), or `dead` after the
 * last attempt. `countAttempt: false` (a rate-limit wait, a paused server) does not use up an attempt;
 * `final: true` (a payload its schema refuses: no retry can help) makes it `dead` at once.
 */
export async function failJob(
  db: Executor,
  job: Pick<Job, 'id' | 'attempts' | 'max_attempts'>,
  worker: string,
  error: string,
  options: { retryAt?: number; countAttempt?: boolean; final?: boolean; now?: number } = {},
): Promise<'queued' | 'dead' | 'lost'> {
  const now = options.now ?? Date.now();
  const countAttempt = options.countAttempt ?? true;
  const attempts = countAttempt ? job.attempts : job.attempts - 1;
  const dead = options.final === true || (countAttempt && attempts >= job.max_attempts);
  if (!dead) {
    // The same change was queued again while this run failed: that queued twin will do the work,
    // and requeueing this one would break "one queued job per key" (UNIQUE violation).
    const covered = await db
      .deleteFrom('jobs')
      .where('id', '=', job.id)
      .where('locked_by', '=', worker)
      .where('status', '=', 'running')
      .where('dedupe_key', 'is not', null)
      .where((eb) =>
        eb.exists(
          eb
            .selectFrom('jobs as twin')
            .select('twin.id')
            .whereRef('twin.dedupe_key', '=', 'jobs.dedupe_key')
            .where('twin.status', '=', 'queued'),
        ),
      )
      .executeTakeFirst();
    if (Number(covered.numDeletedRows) === 1) return 'queued';
  }
  const r = await db
    .updateTable('jobs')
    .set({
      status: dead ? 'dead' : 'queued',
      attempts,
      run_at: dead ? now : (options.retryAt ?? now + backoffMs(attempts)),
      locked_by: null,
      locked_until: null,
      last_error: storableText(error, LAST_ERROR_MAX_BYTES),
      updated_at: now,
    })
    .where('id', '=', job.id)
    .where('locked_by', '=', worker)
    .where('status', '=', 'running')
    .executeTakeFirst();
  if (Number(r.numUpdatedRows) !== 1) return 'lost';
  return dead ? 'dead' : 'queued';
}

/** Hands jobs back without using an attempt (graceful shutdown). */
export async function releaseJobs(
  db: Executor,
  worker: string,
  ids: string[],
  now = Date.now(),
): Promise<number> {
  if (ids.length === 0) return 0;
  const r = await db
    .updateTable('jobs')
    .set((eb) => ({
      status: 'queued',
      attempts: eb('attempts', '-', 1),
      locked_by: null,
      locked_until: null,
      run_at: now,
      updated_at: now,
    }))
    .where('id', 'in', ids)
    .where('locked_by', '=', worker)
    .where('status', '=', 'running')
    .executeTakeFirst();
  return Number(r.numUpdatedRows);
}

/** Keeps a long job's lease alive. */
export async function extendLease(db: Executor, ids: string[], worker: string, until: number): Promise<void> {
  if (ids.length === 0) return;
  await db
    .updateTable('jobs')
    .set({ locked_until: until })
    .where('id', 'in', ids)
    .where('locked_by', '=', worker)
    .where('status', '=', 'running')
    .execute();
}

/**
 * Returns jobs whose lease expired (their worker crashed or hung) to the queue, or marks them
 * dead when that was their last attempt. Safe to run from every instance at once.
 */
export async function reapExpiredLeases(db: Executor, now = Date.now()): Promise<number> {
  const dead = await db
    .updateTable('jobs')
    .set({
      status: 'dead',
      locked_by: null,
      locked_until: null,
      last_error: 'lease expired on last attempt',
      updated_at: now,
    })
    .where('status', '=', 'running')
    .where('locked_until', '<', now)
    .whereRef('attempts', '>=', 'max_attempts')
    .executeTakeFirst();
  // A queued twin (same dedupe key) already covers a crashed job's work; putting the crashed one
  // back would break "one queued job per key" (a UNIQUE violation that stalled every later reap).
  // Found by test/reconcile/convergence.test.ts.
  const covered = await db
    .deleteFrom('jobs')
    .where('status', '=', 'running')
    .where('locked_until', '<', now)
    .where('dedupe_key', 'is not', null)
    .where((eb) =>
      eb.exists(
        eb
          .selectFrom('jobs as twin')
          .select('twin.id')
          .whereRef('twin.dedupe_key', '=', 'jobs.dedupe_key')
          .where((t) =>
            t.or([
              t('twin.status', '=', 'queued'),
              // Two crashed runs of one key: keep the oldest.
              t.and([
                t('twin.status', '=', 'running'),
                t('twin.locked_until', '<', now),
                t('twin.id', '<', t.ref('jobs.id')),
              ]),
            ]),
          ),
      ),
    )
    .executeTakeFirst();
  const requeued = await db
    .updateTable('jobs')
    .set({
      status: 'queued',
      locked_by: null,
      locked_until: null,
      run_at: now,
      last_error: 'lease expired',
      updated_at: now,
    })
    .where('status', '=', 'running')
    .where('locked_until', '<', now)
    .executeTakeFirst();
  return Number(dead.numUpdatedRows) + Number(covered.numDeletedRows) + Number(requeued.numUpdatedRows);
}

/** Puts a dead job back in the queue with a fresh set of attempts. */
export async function retryDeadJob(db: Executor, id: string, now = Date.now()): Promise<boolean> {
  const r = await db
    .updateTable('jobs')
    .set({ status: 'queued', attempts: 0, run_at: now, updated_at: now, last_error: null })
    .where('id', '=', id)
    .where('status', '=', 'dead')
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

export async function listDeadJobs(db: Executor, limit = 100): Promise<Job[]> {
  return db
    .selectFrom('jobs')
    .selectAll()
    .where('status', '=', 'dead')
    .orderBy('updated_at', 'desc')
    .limit(limit)
    .execute();
}

/** Jobs by status (and, for queued, how many are due now): for /metrics. */
export async function queueDepth(db: Executor, now = Date.now()) {
  const rows = await db
    .selectFrom('jobs')
    .select(['status', 'kind', (eb) => eb.fn.countAll<number>().as('n')])
    .groupBy(['status', 'kind'])
    .execute();
  const due = await db
    .selectFrom('jobs')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('status', '=', 'queued')
    .where('run_at', '<=', now)
    .executeTakeFirstOrThrow();
  return { byStatusKind: rows.map((r) => ({ ...r, n: Number(r.n) })), due: Number(due.n) };
}
