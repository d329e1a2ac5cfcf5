import type { Kysely } from 'kysely';
import type { Dialect } from '../../dialect.js';
import { serialPk } from './columns.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- migrations run against a schema that is still being built */

/** Migration 001: customers and their Discord links. The SQL must never change (existing databases ran it). */
export async function createCustomerTables(db: Kysely<any>, _dialect: Dialect): Promise<void> {
  await db.schema
    .createTable('customers')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('email', 'text')
    .addColumn('name', 'text')
    .addColumn('stripe_customer_id', 'text', (c) => c.unique())
    .addColumn('discord_user_id', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('customers_email').on('customers').column('email').execute();
  await db.schema.createIndex('customers_discord').on('customers').column('discord_user_id').execute();

  await db.schema
    .createTable('discord_links')
    .addColumn('customer_id', 'text', (c) => c.primaryKey().references('customers.id'))
    .addColumn('discord_user_id', 'text', (c) => c.notNull())
    .addColumn('username', 'text')
    .addColumn('access_token_enc', 'text')
    .addColumn('refresh_token_enc', 'text')
    .addColumn('token_expires_at', 'bigint')
    .addColumn('scope', 'text')
    .addColumn('token_invalid_at', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('discord_links_user').on('discord_links').column('discord_user_id').execute();
}

/** Migration 001: grants and the sync log. The SQL must never change (existing databases ran it). */
export async function createGrantTables(db: Kysely<any>, dialect: Dialect): Promise<void> {
  const { serial, autoPk } = serialPk(dialect);
  await db.schema
    .createTable('grants')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('entitlement_id', 'text', (c) => c.notNull().references('entitlements.id'))
    .addColumn('customer_id', 'text', (c) => c.notNull().references('customers.id'))
    .addColumn('server_id', 'text', (c) => c.notNull().references('servers.id'))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('active', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('price_id', 'text')
    .addColumn('stripe_checkout_session_id', 'text', (c) => c.unique())
    .addColumn('stripe_subscription_id', 'text')
    .addColumn('stripe_payment_intents', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('stripe_status', 'text')
    .addColumn('stripe_event_created', 'bigint')
    .addColumn('starts_at', 'bigint', (c) => c.notNull())
    .addColumn('ends_at', 'bigint')
    .addColumn('grace_ends_at', 'bigint')
    .addColumn('claim_code', 'text', (c) => c.unique())
    .addColumn('granted_role_ids', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('last_error_code', 'text')
    .addColumn('last_error_message', 'text')
    .addColumn('last_error_owner', 'text')
    .addColumn('status_reason', 'text')
    .addColumn('note', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('delivered_at', 'bigint')
    .addColumn('revoked_at', 'bigint')
    .execute();
  await db.schema.createIndex('grants_customer').on('grants').column('customer_id').execute();
  await db.schema
    .createIndex('grants_entitlement')
    .on('grants')
    .columns(['entitlement_id', 'status'])
    .execute();
  await db.schema.createIndex('grants_server_status').on('grants').columns(['server_id', 'status']).execute();
  await db.schema.createIndex('grants_subscription').on('grants').column('stripe_subscription_id').execute();
  await db.schema.createIndex('grants_ends_at').on('grants').columns(['status', 'ends_at']).execute();

  await db.schema
    .createTable('sync_log')
    .addColumn('id', serial, (c) => autoPk(c))
    .addColumn('server_id', 'text', (c) => c.notNull())
    .addColumn('discord_user_id', 'text', (c) => c.notNull())
    .addColumn('grant_id', 'text')
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('role_id', 'text')
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('error_code', 'text')
    .addColumn('error_owner', 'text')
    .addColumn('message', 'text')
    .addColumn('cause', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('sync_log_member')
    .on('sync_log')
    .columns(['server_id', 'discord_user_id'])
    .execute();
  await db.schema.createIndex('sync_log_grant').on('sync_log').column('grant_id').execute();
}
