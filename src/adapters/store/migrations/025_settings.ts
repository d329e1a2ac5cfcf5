import type { Kysely } from 'kysely';
import type { Dialect } from '../dialect.js';

/**
 * Settings Rolegate stores for itself (docs/decisions/0025-setup-checklist.md): one row per key,
 * the value as JSON text. First use: the Stripe webhook endpoint Rolegate created through Stripe's
 * API, with its signing secret encrypted, and the last test mail.
 */
/* eslint-disable @typescript-eslint/no-explicit-any -- migrations run against a schema that is still being built */
export async function up(db: Kysely<any>, _dialect: Dialect): Promise<void> {
  await db.schema
    .createTable('instance_settings')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
}
