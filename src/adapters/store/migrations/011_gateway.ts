import type { Kysely } from 'kysely';
import type { Dialect } from '../dialect.js';

/**
 * The gateway listener's leader lease (docs/decisions/0018-gateway-listener.md): one row per bot
 * (`name`), held by one instance (`holder`) until `expires_at` (epoch ms, renewed by its heartbeat).
 * The leader also writes where its connection stands (`status`, `detail`) so every instance can
 * report it.
 */
/* eslint-disable @typescript-eslint/no-explicit-any -- migrations run against a schema that is still being built */
export async function up(db: Kysely<any>, _dialect: Dialect): Promise<void> {
  await db.schema
    .createTable('gateway_leases')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('holder', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('detail', 'text')
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
}
