import { createHash, randomBytes } from 'node:crypto';
import type { AppContext } from '../shared/context.js';
import { sessionIsLive } from '../admin/sessions.js';
import { apiKeyLive, insertInstallState, useInstallState } from './store/install-state.js';
export { deleteExpiredOAuthStates } from './store/install-state.js';

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
  await insertInstallState(ctx.db.kysely, {
    hash: hashState(state),
    purpose: PURPOSE,
    actor,
    now,
    expiresAt: now + INSTALL_STATE_TTL_MS,
  });
  return state;
}

/** Uses the state up (once, atomically): who asked for it, or null when unknown, used or expired. */
export async function consumeInstallState(ctx: AppContext, state: string): Promise<{ actor: string } | null> {
  if (state.length > 200) return null;
  return useInstallState(ctx.db.kysely, hashState(state), PURPOSE, ctx.clock.now());
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
  return apiKeyLive(ctx.db.kysely, apiKeyId);
}
