import type { Kysely } from 'kysely';
import type { Dialect } from '../dialect.js';

/**
 * Links that act for a buyer or a merchant, stored so each one works once (decision 0007).
 * - `buyer_tokens`: single-use links emailed to a buyer: `sign_in` (from the offer form, to manage
 *   or continue a purchase) and `connect` (Connect Discord). Only the SHA-256 of the token is stored.
 *   `purpose` is open so the customer portal can reuse the table for its email sign-in.
 * - `oauth_states`: the `state` of a bot install, consumed once by the callback and naming who asked.
 */
/* eslint-disable @typescript-eslint/no-explicit-any -- migrations run against a schema that is still being built */
export async function up(db: Kysely<any>, _dialect: Dialect): Promise<void> {
  await db.schema
    .createTable('buyer_tokens')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('purpose', 'text', (c) => c.notNull())
    .addColumn('customer_id', 'text', (c) => c.notNull().references('customers.id'))
    .addColumn('grant_id', 'text', (c) => c.references('grants.id'))
    .addColumn('entitlement_id', 'text')
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('used_at', 'bigint')
    .execute();
  // Per-customer rate limits count the links sent recently.
  await db.schema
    .createIndex('buyer_tokens_customer')
    .on('buyer_tokens')
    .columns(['customer_id', 'purpose', 'created_at'])
    .execute();
  await db.schema.createIndex('buyer_tokens_expires').on('buyer_tokens').column('expires_at').execute();

  await db.schema
    .createTable('oauth_states')
    .addColumn('state_hash', 'text', (c) => c.primaryKey())
    .addColumn('purpose', 'text', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('used_at', 'bigint')
    .execute();
}
