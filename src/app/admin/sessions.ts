import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { newId } from '../../core/ids.js';
import type { AppContext } from '../shared/context.js';
import {
  insertAdminSession,
  liveSessionByTokenHash,
  liveSessionsOf,
  revokeSessions,
  rotateSessionToken,
  sessionLive,
} from './store.js';

/**
 * Dashboard sessions (decision 0015). The browser holds a random token in an HttpOnly cookie; the
 * database holds its SHA-256 only, so a leaked database cannot sign anyone in. The token is replaced
 * (rotated) every ROTATE_AFTER_MS while the session is used; the previous token keeps working for a
 * few seconds so requests already in flight are not signed out.
 */

/** A session ends this long after sign-in, however active. */
export const SESSION_MAX_AGE_MS = 30 * 86_400_000;
/** …or after this long unused. */
export const SESSION_IDLE_MS = 7 * 86_400_000;
/** How often a used session gets a new token. */
export const ROTATE_AFTER_MS = 10 * 60_000;
/** How long the token before a rotation is still accepted. */
export const PREVIOUS_TOKEN_GRACE_MS = 60_000;

export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');
const newToken = () => randomBytes(32).toString('base64url');

export interface SessionAuth {
  sessionId: string;
  adminId: string;
  /** Set when the token was rotated by this request: the caller must send it to the browser. */
  newToken?: string;
}

export async function createSession(
  ctx: AppContext,
  adminId: string,
  client: { userAgent?: string | undefined; ip?: string | undefined },
): Promise<{ id: string; token: string }> {
  const now = ctx.clock.now();
  const token = newToken();
  const id = newId('adminSession', now);
  await insertAdminSession(ctx.db.kysely, {
    id,
    admin_id: adminId,
    token_hash: hashToken(token),
    previous_token_hash: null,
    previous_valid_until: null,
    user_agent: client.userAgent?.slice(0, 300) ?? null,
    ip: client.ip?.slice(0, 64) ?? null,
    created_at: now,
    rotated_at: now,
    last_seen_at: now,
    expires_at: now + SESSION_MAX_AGE_MS,
    revoked_at: null,
  });
  return { id, token };
}

/** The live session a cookie token names (rotating it when due), or null. */
export async function authenticateSession(ctx: AppContext, token: string): Promise<SessionAuth | null> {
  if (token.length > 100) return null;
  const now = ctx.clock.now();
  const hash = hashToken(token);
  const row = await liveSessionByTokenHash(ctx.db.kysely, hash, now, SESSION_IDLE_MS);
  if (!row) return null;
  const auth: SessionAuth = { sessionId: row.id, adminId: row.admin_id };
  // Only the current token rotates; a request still carrying the previous one just passes.
  if (row.token_hash !== hash || now - row.rotated_at < ROTATE_AFTER_MS) return auth;
  const fresh = newToken();
  const rotated = await rotateSessionToken(ctx.db.kysely, row.id, hash, {
    tokenHash: hashToken(fresh),
    previousValidUntil: now + PREVIOUS_TOKEN_GRACE_MS,
    now,
  });
  // Another request rotated it first: this one still authenticates with the (now previous) token.
  if (rotated) auth.newToken = fresh;
  return auth;
}

/** The CSRF token of a session: an HMAC of its id, so it survives rotations and needs no storage. */
export function csrfTokenFor(ctx: AppContext, sessionId: string): string {
  return createHmac('sha256', ctx.secrets.deriveKey('csrf')).update(sessionId).digest('base64url');
}

export function csrfTokenMatches(ctx: AppContext, sessionId: string, given: string): boolean {
  const expected = Buffer.from(csrfTokenFor(ctx, sessionId));
  const actual = Buffer.from(given);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

export async function listSessions(ctx: AppContext, adminId: string) {
  return liveSessionsOf(ctx.db.kysely, adminId, ctx.clock.now(), SESSION_IDLE_MS);
}

/** Ends one of the admin's own sessions; false when there is no such live session. */
export async function revokeSession(ctx: AppContext, adminId: string, sessionId: string): Promise<boolean> {
  return (await revokeSessions(ctx.db.kysely, adminId, ctx.clock.now(), { only: sessionId })) === 1;
}

/** Ends every session of the admin but `keepId`; how many ended. */
export async function revokeOtherSessions(ctx: AppContext, adminId: string, keepId: string | null) {
  return revokeSessions(ctx.db.kysely, adminId, ctx.clock.now(), { keepId });
}

/** Whether a session is still live (the bot-install state names the session that asked). */
export async function sessionIsLive(ctx: AppContext, sessionId: string): Promise<boolean> {
  return sessionLive(ctx.db.kysely, sessionId, ctx.clock.now());
}
