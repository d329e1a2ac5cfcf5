import { createHash, randomBytes } from 'node:crypto';
import { newId } from '../../core/ids.js';
import type { AppContext } from '../shared/context.js';
import { allApiKeys, insertApiKey, liveApiKeyByHash, markApiKeyRevoked, touchApiKey } from './store.js';

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
  await insertApiKey(ctx.db.kysely, row);
  return { id: row.id, name, prefix: row.prefix, key };
}

export async function listApiKeys(ctx: AppContext) {
  return allApiKeys(ctx.db.kysely);
}

export async function revokeApiKey(ctx: AppContext, id: string): Promise<boolean> {
  return markApiKeyRevoked(ctx.db.kysely, id, ctx.clock.now());
}

const lastUsedWrites = new Map<string, number>();

export async function authenticateApiKey(ctx: AppContext, key: string) {
  const row = await liveApiKeyByHash(ctx.db.kysely, hash(key));
  if (!row) return null;
  // Record last use at most once a minute per key: a write per request would dominate the API's cost.
  const now = ctx.clock.now();
  if ((lastUsedWrites.get(row.id) ?? 0) < now - 60_000) {
    lastUsedWrites.set(row.id, now);
    await touchApiKey(ctx.db.kysely, row.id, now);
  }
  return row;
}
