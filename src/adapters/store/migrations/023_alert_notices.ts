import type { Kysely } from 'kysely';
import type { Dialect } from '../dialect.js';

/**
 * Alerts already told about (docs/decisions/0020-dashboard-api.md): one row per alert id
 * (`server_paused:srv_…`), so the periodic scan notifies a new alert once and its end once.
 */
/* eslint-disable @typescript-eslint/no-explicit-any -- migrations run against a schema that is still being built */
export async function up(db: Kysely<any>, _dialect: Dialect): Promise<void> {
  await db.schema
    .createTable('alert_notices')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('message', 'text', (c) => c.notNull())
    .addColumn('server_id', 'text')
    .addColumn('first_seen_at', 'bigint', (c) => c.notNull())
    .addColumn('emailed_at', 'bigint')
    .addColumn('resolved_at', 'bigint')
    .execute();
  await db.schema.createIndex('alert_notices_open').on('alert_notices').column('resolved_at').execute();
}
