import type { Kysely } from 'kysely';
import type { Dialect } from '../dialect.js';

/**
 * One inbox for external inputs (docs/decisions/0024-typed-jobs-and-inbox.md): `inbox_events` also
 * records who sent a Discord interaction (`guild_id`, `user_id`), how handling it ended (`outcome`:
 * `answered` | `failed` for an interaction, `applied` | `ignored` for a Stripe event) and, for an
 * interaction, the answer given (`response`), so a duplicate delivery gets the same answer without
 * being handled twice. `processed_at` is when it was handled.
 */
/* eslint-disable @typescript-eslint/no-explicit-any -- migrations run against a schema that is still being built */
export async function up(db: Kysely<any>, _dialect: Dialect): Promise<void> {
  await db.schema.alterTable('inbox_events').addColumn('guild_id', 'text').execute();
  await db.schema.alterTable('inbox_events').addColumn('user_id', 'text').execute();
  await db.schema.alterTable('inbox_events').addColumn('outcome', 'text').execute();
  await db.schema.alterTable('inbox_events').addColumn('response', 'text').execute();
}
