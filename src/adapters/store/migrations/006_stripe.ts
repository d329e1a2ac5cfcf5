import type { Kysely } from 'kysely';
import type { Dialect } from '../dialect.js';

/**
 * Stripe lifecycle bookkeeping.
 * - `grant_payment_intents`: payment_intent → grant, so `charge.refunded` and `charge.dispute.*`
 *   (which carry only the payment intent) find their grant with one indexed lookup.
 * - `stripe_object_syncs`: per Stripe object, when the snapshot last applied was requested, so when
 *   two jobs re-read one subscription at once the older snapshot cannot overwrite the newer one.
 */
/* eslint-disable @typescript-eslint/no-explicit-any -- migrations run against a schema that is still being built */
export async function up(db: Kysely<any>, _dialect: Dialect): Promise<void> {
  await db.schema
    .createTable('grant_payment_intents')
    .addColumn('payment_intent_id', 'text', (c) => c.primaryKey())
    .addColumn('grant_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('grant_payment_intents_grant')
    .on('grant_payment_intents')
    .column('grant_id')
    .execute();
  await db.schema
    .createTable('stripe_object_syncs')
    .addColumn('object_id', 'text', (c) => c.primaryKey())
    .addColumn('requested_at', 'bigint', (c) => c.notNull())
    .execute();
  // The duplicate-purchase guard looks up a buyer's grants for one entitlement.
  await db.schema
    .createIndex('grants_customer_entitlement')
    .on('grants')
    .columns(['customer_id', 'entitlement_id'])
    .execute();
}
