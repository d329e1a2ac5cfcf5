import type { Kysely } from 'kysely';
import type { Dialect } from '../../dialect.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- migrations run against a schema that is still being built */

/** Migration 001: servers, their roles, entitlements and prices. The SQL must never change (existing databases ran it). */
export async function createCatalogTables(db: Kysely<any>, _dialect: Dialect): Promise<void> {
  await db.schema
    .createTable('servers')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('guild_id', 'text', (c) => c.notNull().unique())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('bot_user_id', 'text')
    .addColumn('owner_id', 'text')
    .addColumn('bot_permissions', 'text', (c) => c.notNull().defaultTo('0'))
    .addColumn('bot_top_position', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('bot_top_role_id', 'text')
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('active'))
    .addColumn('pause_reason', 'text')
    .addColumn('paused_at', 'bigint')
    .addColumn('members_intent', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('roles_channel_id', 'text')
    .addColumn('roles_message_id', 'text')
    .addColumn('health_checked_at', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('server_roles')
    .addColumn('server_id', 'text', (c) => c.notNull().references('servers.id').onDelete('cascade'))
    .addColumn('role_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('permissions', 'text', (c) => c.notNull().defaultTo('0'))
    .addColumn('managed', 'integer', (c) => c.notNull().defaultTo(0))
    .addPrimaryKeyConstraint('server_roles_pk', ['server_id', 'role_id'])
    .execute();

  await db.schema
    .createTable('entitlements')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('server_id', 'text', (c) => c.notNull().references('servers.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('role_ids', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('access_kind', 'text', (c) => c.notNull())
    .addColumn('access_days', 'integer')
    .addColumn('trial_days', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('sale_ends_at', 'bigint')
    .addColumn('revoke_action', 'text', (c) => c.notNull().defaultTo('remove_roles'))
    .addColumn('fallback_role_id', 'text')
    .addColumn('grace_days', 'integer', (c) => c.notNull().defaultTo(3))
    .addColumn('enforce_roles', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('partial_refund_policy', 'text', (c) => c.notNull().defaultTo('keep'))
    .addColumn('dispute_policy', 'text', (c) => c.notNull().defaultTo('revoke'))
    .addColumn('restore_on_dispute_won', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('archived_at', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('entitlements_server').on('entitlements').column('server_id').execute();

  await db.schema
    .createTable('prices')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('entitlement_id', 'text', (c) => c.notNull().references('entitlements.id'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('amount', 'bigint', (c) => c.notNull())
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('interval', 'text')
    .addColumn('interval_count', 'integer')
    .addColumn('stripe_product_id', 'text')
    .addColumn('stripe_price_id', 'text')
    .addColumn('active', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('prices_entitlement').on('prices').column('entitlement_id').execute();
  await db.schema.createIndex('prices_stripe_price').on('prices').column('stripe_price_id').execute();
}
