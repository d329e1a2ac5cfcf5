import type { Kysely } from 'kysely';
import type { Dialect } from '../dialect.js';

/**
 * The plan changes a merchant offers buyers (docs/decisions/0022-plan-changes.md): from one
 * entitlement to another of the same server (an upgrade or a downgrade), or between the prices of
 * one entitlement (`to_entitlement_id` = `entitlement_id`, kind `switch`).
 */
/* eslint-disable @typescript-eslint/no-explicit-any -- migrations run against a schema that is still being built */
export async function up(db: Kysely<any>, _dialect: Dialect): Promise<void> {
  await db.schema
    .createTable('plan_moves')
    .addColumn('entitlement_id', 'text', (c) => c.notNull().references('entitlements.id'))
    .addColumn('to_entitlement_id', 'text', (c) => c.notNull().references('entitlements.id'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('plan_moves_pk', ['entitlement_id', 'to_entitlement_id'])
    .execute();
}
