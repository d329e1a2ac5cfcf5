import type { Selectable } from 'kysely';
import type { DiscordLinksTable } from '../../adapters/store/schema.js';
import { FailureError } from '../../core/failure.js';
import { canTransition, type GrantStatus } from '../../core/grant-state.js';
import { inTransaction, type AppContext, type Tx } from '../shared/context.js';
import { applyGrantEvent, enqueueMemberCheck, enqueueMemberSync } from '../grants/grants.js';
import type { DiscordOAuthTokens } from '../../core/ports/discord.js';

/**
 * Linking a buyer's Discord account: the OAuth code flow (`identify guilds.join`), tokens encrypted
 * at rest, refresh with single-use rotation, and switching accounts. Roles follow the customer's
 * `discord_user_id`; member sync does the Discord side, so linking only changes rows and queues syncs.
 */

type LinkRow = Selectable<DiscordLinksTable>;

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
 * Points a customer at a Discord account (OAuth or `/claim`), inside `tx`. When the account changes,
 * syncs are queued for BOTH accounts on every server the customer has grants on: the old one loses
 * the roles (no live grant points at it any more), the new one gets them. Returns the old account.
 */
export async function linkCustomerToDiscord(
  ctx: AppContext,
  tx: Tx,
  input: {
    customerId: string;
    discordUserId: string;
    username: string | null;
    tokens?: Pick<LinkRow, 'access_token_enc' | 'refresh_token_enc' | 'token_expires_at' | 'scope'>;
    cause: string;
  },
): Promise<string | null> {
  const now = ctx.clock.now();
  const customer = await tx.db
    .selectFrom('customers')
    .select(['id', 'discord_user_id'])
    .where('id', '=', input.customerId)
    .executeTakeFirstOrThrow();
  const previous = customer.discord_user_id;
  const existing = await tx.db
    .selectFrom('discord_links')
    .selectAll()
    .where('customer_id', '=', input.customerId)
    .executeTakeFirst();
  const sameAccount = existing?.discord_user_id === input.discordUserId;
  // Tokens belong to one account: a switch without new tokens must not keep the old account's.
  const tokens = input.tokens ?? {
    access_token_enc: sameAccount ? (existing?.access_token_enc ?? null) : null,
    refresh_token_enc: sameAccount ? (existing?.refresh_token_enc ?? null) : null,
    token_expires_at: sameAccount ? (existing?.token_expires_at ?? null) : null,
    scope: sameAccount ? (existing?.scope ?? null) : null,
  };
  const invalidAt = input.tokens ? null : sameAccount ? (existing?.token_invalid_at ?? null) : null;
  const username = input.username ?? (sameAccount ? (existing?.username ?? null) : null);
  if (existing) {
    await tx.db
      .updateTable('discord_links')
      .set({
        discord_user_id: input.discordUserId,
        username,
        ...tokens,
        token_invalid_at: invalidAt,
        updated_at: now,
      })
      .where('customer_id', '=', input.customerId)
      .execute();
  } else {
    await tx.db
      .insertInto('discord_links')
      .values({
        customer_id: input.customerId,
        discord_user_id: input.discordUserId,
        username,
        ...tokens,
        token_invalid_at: invalidAt,
        created_at: now,
        updated_at: now,
      })
      .execute();
  }
  await tx.db
    .updateTable('customers')
    .set({ discord_user_id: input.discordUserId, updated_at: now })
    .where('id', '=', input.customerId)
    .execute();

  if (previous && previous !== input.discordUserId) {
    await tx.db
      .insertInto('discord_link_history')
      .values({ customer_id: input.customerId, discord_user_id: previous, unlinked_at: now })
      .onConflict((oc) => oc.columns(['customer_id', 'discord_user_id']).doUpdateSet({ unlinked_at: now }))
      .execute();
  }
  // Linking back to a former account makes it current again.
  await tx.db
    .deleteFrom('discord_link_history')
    .where('customer_id', '=', input.customerId)
    .where('discord_user_id', '=', input.discordUserId)
    .execute();

  const servers = await tx.db
    .selectFrom('grants')
    .select('server_id')
    .distinct()
    .where('customer_id', '=', input.customerId)
    .where('status', '!=', 'revoked')
    .execute();
  for (const { server_id } of servers) {
    // After a switch the grants' recorded roles describe the previous account: both are read.
    if (previous && previous !== input.discordUserId) {
      await enqueueMemberCheck(tx, server_id, input.discordUserId, input.cause);
      await enqueueMemberCheck(tx, server_id, previous, `${input.cause} (account switched)`);
    } else await enqueueMemberSync(tx, server_id, input.discordUserId, input.cause);
  }
  if (previous && previous !== input.discordUserId)
    ctx.log.info(
      { customerId: input.customerId, from: previous, to: input.discordUserId },
      'customer switched Discord account',
    );
  return previous;
}

/**
 * A usable access token for the customer's linked account, refreshed first when it is close to
 * expiry; null when there is none (never linked by OAuth, or dead: the customer must re-link).
 */
export async function accessTokenFor(ctx: AppContext, customerId: string): Promise<string | null> {
  const link = await ctx.db.kysely
    .selectFrom('discord_links')
    .selectAll()
    .where('customer_id', '=', customerId)
    .executeTakeFirst();
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
  const r = await ctx.db.kysely
    .updateTable('discord_links')
    .set({
      access_token_enc: ctx.secrets.encrypt(tokens.accessToken),
      refresh_token_enc: ctx.secrets.encrypt(tokens.refreshToken),
      token_expires_at: now + tokens.expiresIn * 1000,
      scope: tokens.scope,
      token_invalid_at: null,
      updated_at: now,
    })
    .where('customer_id', '=', link.customer_id)
    .where('refresh_token_enc', '=', used)
    .executeTakeFirst();
  if (Number(r.numUpdatedRows) === 1) return tokens.accessToken;
  // Someone else rotated (or the customer re-linked) between our read and our write: theirs is newer.
  const current = await readLink(ctx, link.customer_id);
  return current ? usableToken(ctx, current) : null;
}

function readLink(ctx: AppContext, customerId: string) {
  return ctx.db.kysely
    .selectFrom('discord_links')
    .selectAll()
    .where('customer_id', '=', customerId)
    .executeTakeFirst();
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
    let q = tx.db
      .updateTable('discord_links')
      .set({ token_invalid_at: ctx.clock.now(), updated_at: ctx.clock.now() })
      .where('customer_id', '=', customerId)
      .where('token_invalid_at', 'is', null);
    if (usedRefreshToken !== undefined) q = q.where('refresh_token_enc', '=', usedRefreshToken);
    const r = await q.executeTakeFirst();
    if (Number(r.numUpdatedRows) === 0) return;
    const waiting = await tx.db
      .selectFrom('grants')
      .select(['id', 'status', 'active'])
      .where('customer_id', '=', customerId)
      .where('active', '=', 1)
      .where('status', 'in', ['pending', 'failed'])
      .execute();
    for (const g of waiting) {
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
  const due = await ctx.db.kysely
    .selectFrom('discord_links')
    .selectAll()
    .where('token_invalid_at', 'is', null)
    .where('refresh_token_enc', 'is not', null)
    .where('token_expires_at', '<', ctx.clock.now() + REFRESH_MARGIN_MS)
    .orderBy('token_expires_at')
    .limit(limit)
    .execute();
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
