import type { Executor } from '../../adapters/store/db.js';

/** Settings Rolegate keeps for itself (migration 025): JSON values by key. */

export async function readSetting(db: Executor, key: string): Promise<string | null> {
  const row = await db
    .selectFrom('instance_settings')
    .select('value')
    .where('key', '=', key)
    .executeTakeFirst();
  return row?.value ?? null;
}

export async function writeSetting(db: Executor, key: string, value: string, now: number): Promise<void> {
  await db
    .insertInto('instance_settings')
    .values({ key, value, updated_at: now })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value, updated_at: now }))
    .execute();
}
