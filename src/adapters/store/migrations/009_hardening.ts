import type { Kysely } from 'kysely';
import type { Dialect } from '../dialect.js';

/**
 * `stripe_catalog_claims`: while one process creates the Stripe Product and Price of an
 * entitlement's new price, it holds a claim row here, so concurrent first checkouts wait for its
 * result instead of sending the same creates (Stripe answers 409 to an idempotency key still in
 * flight). `claimed_until` lets another process take over the claim of one that died.
 */
/* eslint-disable @typescript-eslint/no-explicit-any -- migrations run against a schema that is still being built */
export async function up(db: Kysely<any>, _dialect: Dialect): Promise<void> {
  await db.schema
    .createTable('stripe_catalog_claims')
    .addColumn('entitlement_id', 'text', (c) => c.primaryKey())
    .addColumn('holder', 'text', (c) => c.notNull())
    .addColumn('claimed_until', 'bigint', (c) => c.notNull())
    .execute();
}
