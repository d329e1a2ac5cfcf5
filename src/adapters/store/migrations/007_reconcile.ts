import type { Kysely } from 'kysely';
import type { Dialect } from '../db.js';

/**
 * Reminder bookkeeping: `grants.reminded_for_ends_at` holds the period end the "access ending in 3
 * days" email was sent for, so the hourly sweep sends it once per grant per period end (a renewal
 * moves `ends_at`, which makes the next period eligible again).
 */
/* eslint-disable @typescript-eslint/no-explicit-any -- migrations run against a schema that is still being built */
export async function up(db: Kysely<any>, _dialect: Dialect): Promise<void> {
  await db.schema.alterTable('grants').addColumn('reminded_for_ends_at', 'bigint').execute();
}
