import { createHash, randomBytes } from 'node:crypto';
import { newId } from '../../core/ids.js';
import type { AppContext } from '../shared/context.js';

const hash = (key: string) => createHash('sha256').update(key).digest('hex');

/** Creates a key; the plain key is returned once and only its hash is stored. */
export async function createApiKey(ctx: AppContext, name: string) {
  const now = ctx.clock.now();
  const key = `rg_${randomBytes(24).toString('base64url')}`;
  const row = {
    id: newId('apiKey', now),
    name,
    prefix: key.slice(0, 8),
    hash: hash(key),
    created_at: now,
    last_used_at: null,
    revoked_at: null,
  };
  await ctx.db.kysely.insertInto('api_keys').values(row).execute();
  return { id: row.id, name, prefix: row.prefix, key };
}

export async function listApiKeys(ctx: AppContext) {
  return ctx.db.kysely
    .selectFrom('api_keys')
    .select(['id', 'name', 'prefix', 'created_at', 'last_used_at', 'revoked_at'])
    .orderBy('id')
    .execute();
}

export async function revokeApiKey(ctx: AppContext, id: string): Promise<boolean> {
  const r = await ctx.db.kysely
    .updateTable('api_keys')
    .set({ revoked_at: ctx.clock.now() })
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

const lastUsedWrites = new Map<string, number>();

export async function authenticateApiKey(ctx: AppContext, key: string) {
  const row = await ctx.db.kysely
    .selectFrom('api_keys')
    .select(['id', 'name'])
    .where('hash', '=', hash(key))
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  if (!row) return null;
  // Record last use at most once a minute per key: a write per request would dominate the API's cost.
  const now = ctx.clock.now();
  if ((lastUsedWrites.get(row.id) ?? 0) < now - 60_000) {
    lastUsedWrites.set(row.id, now);
    await ctx.db.kysely.updateTable('api_keys').set({ last_used_at: now }).where('id', '=', row.id).execute();
  }
  return row;
}
