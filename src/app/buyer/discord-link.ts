import { FailureError } from '../../core/failure.js';
import { canTransition, type GrantStatus } from '../../core/grant-state.js';
import { inTransaction, type AppContext } from '../shared/context.js';
import { applyGrantEvent } from '../grants/grants.js';
import type { DiscordOAuthTokens } from '../../core/ports/discord.js';
import {
  discordLinkOf,
  grantsAwaitingDelivery,
  linksExpiringBefore,
  markLinkInvalid,
  storeRotatedTokens,
  type DiscordLink,
} from './store/discord-links.js';

/**
 * A buyer's linked Discord account: the OAuth code flow's addresses (`identify guilds.join`), tokens
 * encrypted at rest, refresh with single-use rotation, and a link Discord declared dead. Which
 * account the roles go to, and switching it, is ./account-link.ts.
 */

type LinkRow = DiscordLink;

/** Access tokens are refreshed when they have less than this left. */
export const REFRESH_MARGIN_MS = 2 * 86_400_000;

export const RELINK_ERROR = {
  code: 'discord_relink_required',
  message: 'Your Discord connection expired or was revoked. Re-link Discord with the link in your email.',
  owner: 'customer' as const,
};

export function linkRedirectUri(ctx: AppContext): string {
  return `${ctx.publicUrl}/discord/link/callback`;
}

/** Discord's authorize page sits beside its API: `https://discord.com/api` → `https://discord.com/oauth2/authorize`. */
export function authorizeBase(apiUrl: string): string {
  const url = new URL(apiUrl);
  url.pathname = url.pathname.replace(/\/+$/, '').replace(/\/api(\/v\d+)?$/, '') + '/oauth2/authorize';
  return url.toString();
}

/**
 * A usable access token for the customer's linked account, refreshed first when it is close to
 * expiry; null when there is none (never linked by OAuth, or dead: the customer must re-link).
 */
export async function accessTokenFor(ctx: AppContext, customerId: string): Promise<string | null> {
  const link = await discordLinkOf(ctx.db.kysely, customerId);
  if (!link || link.token_invalid_at !== null || !link.access_token_enc) return null;
  if ((link.token_expires_at ?? 0) - ctx.clock.now() > REFRESH_MARGIN_MS)
    return ctx.secrets.decrypt(link.access_token_enc);
  return refreshLink(ctx, link);
}

/**
 * Refreshes one link. Discord's refresh tokens are single-use, so the new pair is written in one
 * UPDATE guarded by the refresh token we used: when another worker rotated first, its pair wins and
 * is returned, and the `invalid_grant` our stale token then earns is not mistaken for a dead link.
 */
export function refreshLink(ctx: AppContext, link: LinkRow): Promise<string | null> {
  // One refresh per customer at a time in this process; the guarded UPDATE covers other processes.
  const running = refreshing.get(link.customer_id);
  if (running) return running;
  const attempt = rotate(ctx, link).finally(() => refreshing.delete(link.customer_id));
  refreshing.set(link.customer_id, attempt);
  return attempt;
}

const refreshing = new Map<string, Promise<string | null>>();
/** How long another process gets to store the pair it rotated before a refusal counts as a dead link. */
const ROTATION_GRACE_MS = 1_000;

async function rotate(ctx: AppContext, link: LinkRow): Promise<string | null> {
  const discord = ctx.ports.discord;
  if (!discord || !link.refresh_token_enc) return null;
  const used = link.refresh_token_enc;
  let tokens: DiscordOAuthTokens;
  try {
    tokens = await discord.refreshToken(ctx.secrets.decrypt(used));
  } catch (err) {
    if (!(err instanceof FailureError) || err.failure.owner !== 'customer') throw err;
    let current = await readLink(ctx, link.customer_id);
    if (current && current.refresh_token_enc === used) {
      // Another process may have rotated this token a moment ago and not stored the pair yet.
      await new Promise((r) => setTimeout(r, ROTATION_GRACE_MS));
      current = await readLink(ctx, link.customer_id);
    }
    if (current && current.refresh_token_enc !== used) return usableToken(ctx, current);
    await markLinkDead(ctx, link.customer_id, used);
    return null;
  }
  const now = ctx.clock.now();
  const stored = await storeRotatedTokens(
    ctx.db.kysely,
    link.customer_id,
    used,
    {
      access_token_enc: ctx.secrets.encrypt(tokens.accessToken),
      refresh_token_enc: ctx.secrets.encrypt(tokens.refreshToken),
      token_expires_at: now + tokens.expiresIn * 1000,
      scope: tokens.scope,
    },
    now,
  );
  if (stored) return tokens.accessToken;
  // Someone else rotated (or the customer re-linked) between our read and our write: theirs is newer.
  const current = await readLink(ctx, link.customer_id);
  return current ? usableToken(ctx, current) : null;
}

function readLink(ctx: AppContext, customerId: string) {
  return discordLinkOf(ctx.db.kysely, customerId);
}

function usableToken(ctx: AppContext, link: LinkRow): string | null {
  if (link.token_invalid_at !== null || !link.access_token_enc) return null;
  return ctx.secrets.decrypt(link.access_token_enc);
}

/**
 * Discord says the link is dead (invalid_grant, 50025): remember it, and mark the customer's grants
 * still waiting for delivery as failed with the customer as owner ("re-link Discord").
 * `usedRefreshToken` guards against marking a link the customer just renewed.
 */
export async function markLinkDead(
  ctx: AppContext,
  customerId: string,
  usedRefreshToken?: string,
): Promise<void> {
  await inTransaction(ctx, async (tx) => {
    if (!(await markLinkInvalid(tx.db, customerId, ctx.clock.now(), usedRefreshToken))) return;
    for (const g of await grantsAwaitingDelivery(tx.db, customerId)) {
      if (!canTransition(g.status as GrantStatus, g.active === 1, 'delivery_failed')) continue;
      await applyGrantEvent(ctx, tx, g.id, 'delivery_failed', {
        cause: `customer:${customerId}`,
        error: RELINK_ERROR,
      });
    }
  });
  ctx.log.info({ customerId }, 'Discord link is dead; the customer must re-link');
}

/** Periodic: refresh links whose access token expires soon, so a later re-join still works. */
export async function refreshExpiringLinks(ctx: AppContext, limit = 200): Promise<number> {
  if (!ctx.ports.discord) return 0;
  const due = await linksExpiringBefore(ctx.db.kysely, ctx.clock.now() + REFRESH_MARGIN_MS, limit);
  let refreshed = 0;
  for (const link of due) {
    try {
      if (await refreshLink(ctx, link)) refreshed += 1;
    } catch (err) {
      ctx.log.warn(
        { err, customerId: link.customer_id },
        'could not refresh a Discord link; will try next period',
      );
    }
  }
  return refreshed;
}
