import type { Kysely } from 'kysely';
import type { Dialect } from '../dialect.js';

/**
 * Buyer-facing Discord parts: short checkout links (Discord link buttons take ≤ 512 characters,
 * Stripe Checkout URLs can be longer), one-time use of claim codes, and the state of each
 * server's roles-channel post (including a problem the merchant must fix, such as a bot that may
 * not create channels). New tables rather than new columns, so existing inserts stay valid.
 */
/* eslint-disable @typescript-eslint/no-explicit-any -- migrations run against a schema that is still being built */
export async function up(db: Kysely<any>, _dialect: Dialect): Promise<void> {
  await db.schema
    .createTable('checkout_links')
    .addColumn('token', 'text', (c) => c.primaryKey())
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('entitlement_id', 'text', (c) => c.notNull())
    .addColumn('discord_user_id', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('checkout_links_expires').on('checkout_links').column('expires_at').execute();

  await db.schema
    .createTable('grant_claims')
    .addColumn('grant_id', 'text', (c) => c.primaryKey().references('grants.id'))
    .addColumn('discord_user_id', 'text', (c) => c.notNull())
    .addColumn('claimed_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('roles_channel_state')
    .addColumn('server_id', 'text', (c) => c.primaryKey().references('servers.id').onDelete('cascade'))
    .addColumn('error', 'text')
    .addColumn('published_at', 'bigint')
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  // Accounts a customer linked before switching: member sync reads it so the old account's roles
  // (given for this customer's grants) are recognised as Rolegate's and removed.
  await db.schema
    .createTable('discord_link_history')
    .addColumn('customer_id', 'text', (c) => c.notNull().references('customers.id'))
    .addColumn('discord_user_id', 'text', (c) => c.notNull())
    .addColumn('unlinked_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('discord_link_history_pk', ['customer_id', 'discord_user_id'])
    .execute();
  await db.schema
    .createIndex('discord_link_history_user')
    .on('discord_link_history')
    .column('discord_user_id')
    .execute();
}
