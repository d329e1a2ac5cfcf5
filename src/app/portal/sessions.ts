import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { AppContext } from '../shared/context.js';
import { deletePortalSession, insertPortalSession, ownedCustomers, portalSessionByHash } from './store.js';

/**
 * Customer portal sessions (decision 0021): the cookie holds 32 random bytes, the database their
 * SHA-256, so a copy of the database signs nobody in. Every POST form carries a CSRF token derived
 * from the session token (HMAC with an instance key), checked in constant time.
 */

/** How long a portal sign-in lasts. */
export const PORTAL_SESSION_TTL_MS = 12 * 3_600_000;

export interface PortalSession {
  tokenHash: string;
  customerId: string | null;
  discordUserId: string | null;
  /** The customers whose purchases this session sees and acts on. */
  customerIds: string[];
  csrf: string;
}

const hash = (token: string) => createHash('sha256').update(token).digest('hex');
const TOKEN = /^[A-Za-z0-9_-]{43}$/;

function csrfFor(ctx: AppContext, token: string): string {
  return createHmac('sha256', ctx.secrets.deriveKey('portal-csrf')).update(token).digest('base64url');
}

/** Signs a browser in as a customer (email link) or a Discord account; returns the cookie's token. */
export async function startPortalSession(
  ctx: AppContext,
  who: { customerId: string } | { discordUserId: string },
): Promise<string> {
  const token = randomBytes(32).toString('base64url');
  const now = ctx.clock.now();
  await insertPortalSession(ctx.db.kysely, {
    token_hash: hash(token),
    customer_id: 'customerId' in who ? who.customerId : null,
    discord_user_id: 'discordUserId' in who ? who.discordUserId : null,
    created_at: now,
    expires_at: now + PORTAL_SESSION_TTL_MS,
  });
  return token;
}

/** The session behind a cookie token, or null (absent, malformed, unknown, expired). */
export async function portalSession(ctx: AppContext, token: string | null): Promise<PortalSession | null> {
  if (!token || !TOKEN.test(token)) return null;
  const row = await portalSessionByHash(ctx.db.kysely, hash(token), ctx.clock.now());
  if (!row) return null;
  const who = { customerId: row.customer_id, discordUserId: row.discord_user_id };
  const customers = await ownedCustomers(ctx.db.kysely, who);
  return {
    tokenHash: row.token_hash,
    ...who,
    customerIds: customers.map((c) => c.id),
    csrf: csrfFor(ctx, token),
  };
}

/** True when a form's CSRF field is the one this session's pages carry. */
export function csrfValid(session: PortalSession, given: string | undefined): boolean {
  if (!given) return false;
  const a = Buffer.from(session.csrf);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

export async function endPortalSession(ctx: AppContext, session: PortalSession): Promise<void> {
  await deletePortalSession(ctx.db.kysely, session.tokenHash);
}
