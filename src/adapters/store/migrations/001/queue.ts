import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../../dialect.js';
import { serialPk } from './columns.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- migrations run against a schema that is still being built */

/** Migration 001: the job queue, its run log, periodic tasks and the inbox. The SQL must never change (existing databases ran it). */
export async function createQueueTables(db: Kysely<any>, dialect: Dialect): Promise<void> {
  const { serial, autoPk } = serialPk(dialect);
  await db.schema
    .createTable('jobs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('dedupe_key', 'text')
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('max_attempts', 'integer', (c) => c.notNull())
    .addColumn('run_at', 'bigint', (c) => c.notNull())
    .addColumn('locked_by', 'text')
    .addColumn('locked_until', 'bigint')
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  // The claim query walks this index: queued jobs in run_at order.
  await db.schema.createIndex('jobs_claim').on('jobs').columns(['status', 'run_at']).execute();
  await db.schema.createIndex('jobs_lease').on('jobs').columns(['status', 'locked_until']).execute();
  // At most one *queued* job per dedupe key: a burst collapses into one run, while a change that
  // arrives during a run still queues a follow-up.
  await sql`CREATE UNIQUE INDEX jobs_dedupe ON jobs (dedupe_key) WHERE status = 'queued'`.execute(db);

  await db.schema
    .createTable('job_runs')
    .addColumn('id', serial, (c) => autoPk(c))
    .addColumn('job_id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('worker', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('periodic_tasks')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('last_period', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('inbox_events')
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('received_at', 'bigint', (c) => c.notNull())
    .addColumn('processed_at', 'bigint')
    .addColumn('error', 'text')
    .addPrimaryKeyConstraint('inbox_events_pk', ['source', 'id'])
    .execute();
}
