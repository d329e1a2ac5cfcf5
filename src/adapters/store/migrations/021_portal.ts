import type { Kysely } from 'kysely';
import type { Dialect } from '../dialect.js';

/**
 * Customer portal sessions (decision 0021). The cookie holds 32 random bytes; only their SHA-256
 * is stored. A session is signed in as one customer (email link) or as one Discord account (the
 * buyer's purchases are those of every customer linked to it).
 */
/* eslint-disable @typescript-eslint/no-explicit-any -- migrations run against a schema that is still being built */
export async function up(db: Kysely<any>, _dialect: Dialect): Promise<void> {
  await db.schema
    .createTable('portal_sessions')
    .addColumn('token_hash', 'text', (c) => c.primaryKey())
    .addColumn('customer_id', 'text', (c) => c.references('customers.id'))
    .addColumn('discord_user_id', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('portal_sessions_expires').on('portal_sessions').column('expires_at').execute();
}
