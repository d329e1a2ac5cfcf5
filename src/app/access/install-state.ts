import { createHash, randomBytes } from 'node:crypto';
import type { Executor } from '../../adapters/store/db.js';
import type { AppContext } from '../shared/context.js';
import { sessionIsLive } from '../admin/sessions.js';

/**
 * The `state` of a bot install (decision 0007): random, stored hashed with who asked for it, and
 * consumed once by the callback, so a state seen in a URL or a log cannot connect a second server.
 */

/** How long an install `state` stays valid. */
export const INSTALL_STATE_TTL_MS = 15 * 60_000;
const PURPOSE = 'bot_install';

const hashState = (state: string) => createHash('sha256').update(state).digest('hex');

/** A new single-use state naming `actor` (`person:key_…`, `session:ses_…` or `system:…`). */
export async function issueInstallState(ctx: AppContext, actor: string): Promise<string> {
  const state = randomBytes(32).toString('base64url');
  const now = ctx.clock.now();
  await ctx.db.kysely
    .insertInto('oauth_states')
    .values({
      state_hash: hashState(state),
      purpose: PURPOSE,
      actor,
      created_at: now,
      expires_at: now + INSTALL_STATE_TTL_MS,
      used_at: null,
    })
    .execute();
  return state;
}

/** Uses the state up (once, atomically): who asked for it, or null when unknown, used or expired. */
export async function consumeInstallState(ctx: AppContext, state: string): Promise<{ actor: string } | null> {
  if (state.length > 200) return null;
  const now = ctx.clock.now();
  const row = await ctx.db.kysely
    .updateTable('oauth_states')
    .set({ used_at: now })
    .where('state_hash', '=', hashState(state))
    .where('purpose', '=', PURPOSE)
    .where('used_at', 'is', null)
    .where('expires_at', '>', now)
    .returning('actor')
    .executeTakeFirst();
  return row ?? null;
}

/**
 * Whether the one who asked for the install may still finish it: an API key (`person:key_…`) must
 * not have been revoked meanwhile; a dashboard session (`session:ses_…`) must still be live AND be
 * the session of the browser that comes back (`browserSessionId`), so a consent URL copied to
 * another browser connects nothing; `system:…` is this process itself (the sandbox seeding its demo).
 */
export async function installActorAllowed(
  ctx: AppContext,
  actor: string,
  browserSessionId: string | null = null,
): Promise<boolean> {
  if (actor.startsWith('system:')) return true;
  const sessionId = /^session:(ses_[0-9a-z]{26})$/.exec(actor)?.[1];
  if (sessionId) return sessionId === browserSessionId && (await sessionIsLive(ctx, sessionId));
  const apiKeyId = /^person:(key_[0-9a-z]{26})$/.exec(actor)?.[1];
  if (!apiKeyId) return false;
  const key = await ctx.db.kysely
    .selectFrom('api_keys')
    .select('id')
    .where('id', '=', apiKeyId)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return key !== undefined;
}

export async function deleteExpiredOAuthStates(db: Executor, before: number): Promise<number> {
  const r = await db.deleteFrom('oauth_states').where('expires_at', '<', before).executeTakeFirst();
  return Number(r.numDeletedRows);
}
