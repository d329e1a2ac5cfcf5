import type { Executor } from '../../../adapters/store/db.js';

/** Bot-install states (decision 0007), stored hashed. */

export async function insertInstallState(
  db: Executor,
  s: { hash: string; purpose: string; actor: string; now: number; expiresAt: number },
): Promise<void> {
  await db
    .insertInto('oauth_states')
    .values({
      state_hash: s.hash,
      purpose: s.purpose,
      actor: s.actor,
      created_at: s.now,
      expires_at: s.expiresAt,
      used_at: null,
    })
    .execute();
}

/** Marks an unused, unexpired state used (once, atomically) and returns who asked for it. */
export async function useInstallState(
  db: Executor,
  hash: string,
  purpose: string,
  now: number,
): Promise<{ actor: string } | null> {
  const row = await db
    .updateTable('oauth_states')
    .set({ used_at: now })
    .where('state_hash', '=', hash)
    .where('purpose', '=', purpose)
    .where('used_at', 'is', null)
    .where('expires_at', '>', now)
    .returning('actor')
    .executeTakeFirst();
  return row ?? null;
}

export async function deleteExpiredOAuthStates(db: Executor, before: number): Promise<number> {
  const r = await db.deleteFrom('oauth_states').where('expires_at', '<', before).executeTakeFirst();
  return Number(r.numDeletedRows);
}

/** Whether an API key exists and is not revoked. */
export async function apiKeyLive(db: Executor, apiKeyId: string): Promise<boolean> {
  const key = await db
    .selectFrom('api_keys')
    .select('id')
    .where('id', '=', apiKeyId)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return key !== undefined;
}
