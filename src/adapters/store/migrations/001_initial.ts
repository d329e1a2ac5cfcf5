import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../dialect.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- migrations run against a schema that is still being built */
export async function up(db: Kysely<any>, dialect: Dialect): Promise<void> {
  const serial = dialect === 'postgres' ? 'bigserial' : 'integer';
  const autoPk = <T extends { primaryKey(): T; autoIncrement(): T }>(c: T): T =>
    dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement();

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

  await db.schema
    .createTable('jobs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('dedupe_key', 'text')
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('max_attempts', 'integer', (c) => c.notNull())
    .addColumn('run_at', 'bigint', (c) => c.notNull())
    .addColumn('locked_by', 'text')
    .addColumn('locked_until', 'bigint')
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  // The claim query walks this index: queued jobs in run_at order.
  await db.schema.createIndex('jobs_claim').on('jobs').columns(['status', 'run_at']).execute();
  await db.schema.createIndex('jobs_lease').on('jobs').columns(['status', 'locked_until']).execute();
  // At most one *queued* job per dedupe key: a burst collapses into one run, while a change that
  // arrives during a run still queues a follow-up.
  await sql`CREATE UNIQUE INDEX jobs_dedupe ON jobs (dedupe_key) WHERE status = 'queued'`.execute(db);

  await db.schema
    .createTable('job_runs')
    .addColumn('id', serial, (c) => autoPk(c))
    .addColumn('job_id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('worker', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('periodic_tasks')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('last_period', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('inbox_events')
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('received_at', 'bigint', (c) => c.notNull())
    .addColumn('processed_at', 'bigint')
    .addColumn('error', 'text')
    .addPrimaryKeyConstraint('inbox_events_pk', ['source', 'id'])
    .execute();

  await db.schema
    .createTable('webhook_endpoints')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('secret_enc', 'text', (c) => c.notNull())
    .addColumn('event_types', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('disabled_reason', 'text')
    .addColumn('failing_since', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('webhook_deliveries')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('endpoint_id', 'text', (c) => c.notNull().references('webhook_endpoints.id'))
    .addColumn('event_type', 'text', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'bigint')
    .addColumn('last_status_code', 'integer')
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('webhook_deliveries_endpoint')
    .on('webhook_deliveries')
    .columns(['endpoint_id', 'created_at'])
    .execute();

  await db.schema
    .createTable('webhook_attempts')
    .addColumn('id', serial, (c) => autoPk(c))
    .addColumn('delivery_id', 'text', (c) => c.notNull())
    .addColumn('attempt', 'integer', (c) => c.notNull())
    .addColumn('status_code', 'integer')
    .addColumn('duration_ms', 'integer', (c) => c.notNull())
    .addColumn('response_body', 'text')
    .addColumn('error', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('webhook_attempts_delivery')
    .on('webhook_attempts')
    .column('delivery_id')
    .execute();

  await db.schema
    .createTable('api_keys')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('prefix', 'text', (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('last_used_at', 'bigint')
    .addColumn('revoked_at', 'bigint')
    .execute();
}
