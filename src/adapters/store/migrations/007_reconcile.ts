import type { Kysely } from 'kysely';
import type { Dialect } from '../dialect.js';

/**
 * Reminder bookkeeping: `grants.reminded_for_ends_at` holds the period end the "access ending in 3
 * days" email was sent for, so the hourly sweep sends it once per grant per period end (a renewal
 * moves `ends_at`, which makes the next period eligible again); `grants.payment_failed_reminded_for`
 * holds the grace-period end the "payment failed" email was sent for (one email per dunning episode,
 * however many times Stripe retries the card or re-sends the event).
 */
/* eslint-disable @typescript-eslint/no-explicit-any -- migrations run against a schema that is still being built */
export async function up(db: Kysely<any>, _dialect: Dialect): Promise<void> {
  await db.schema.alterTable('grants').addColumn('reminded_for_ends_at', 'bigint').execute();
  await db.schema.alterTable('grants').addColumn('payment_failed_reminded_for', 'bigint').execute();
}
