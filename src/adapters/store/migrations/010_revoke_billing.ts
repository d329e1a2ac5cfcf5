import type { Kysely } from 'kysely';
import type { Dialect } from '../dialect.js';

/**
 * Billing and access stay together (docs/decisions/0010-revoke-billing.md).
 * - `grants.announced_at`: when `entitlement_grant.created` was emitted, i.e. when the grant first
 *   conferred access. Null while it never has (an open or abandoned checkout): such a grant sends no
 *   merchant webhook. Existing grants were announced when they were created (the old rule), so they
 *   are backfilled with `created_at` and are never announced twice.
 * - `grants.revoke_billing` / `revoke_billing_status` / `revoke_billing_error`: what a person chose
 *   to do with the Stripe billing when they revoked the grant (`cancel_now`, `cancel_at_period_end`,
 *   `keep_billing`), where the Stripe call stands (`pending`, `done`, `failed`) and its last error.
 * - `grants.stripe_cancel_at`: when the Stripe subscription behind the grant ends (or ended); null
 *   while it renews.
 */
/* eslint-disable @typescript-eslint/no-explicit-any -- migrations run against a schema that is still being built */
export async function up(db: Kysely<any>, _dialect: Dialect): Promise<void> {
  await db.schema.alterTable('grants').addColumn('announced_at', 'bigint').execute();
  await db.schema.alterTable('grants').addColumn('revoke_billing', 'text').execute();
  await db.schema.alterTable('grants').addColumn('revoke_billing_status', 'text').execute();
  await db.schema.alterTable('grants').addColumn('revoke_billing_error', 'text').execute();
  await db.schema.alterTable('grants').addColumn('stripe_cancel_at', 'bigint').execute();
  await db
    .updateTable('grants')
    .set((eb: any) => ({ announced_at: eb.ref('created_at') }))
    .execute();
}
