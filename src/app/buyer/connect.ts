import { randomBytes } from 'node:crypto';
import { AppError } from '../../core/errors.js';
import { FailureError } from '../../core/failure.js';
import { inTransaction, type AppContext } from '../shared/context.js';
import { authorizeBase, linkRedirectUri } from './discord-link.js';
import { linkCustomerToDiscord } from './account-link.js';
import { queueInvitation } from '../grants/grants.js';
import type { DiscordOAuthTokens } from '../../core/ports/discord.js';
import { requestSignInLink } from './sign-in.js';
import { buyerTokenState, underHourlyLimit } from './emailed-links.js';
import { grantStatus } from './store/grants.js';
import { buyerTokenById, consumeBuyerToken, findBuyerToken, mintBuyerToken } from './store/tokens.js';

/**
 * Connect Discord links (decision 0007). A link binds a Discord account to the WHOLE customer, so it
 * works once: opening it starts an OAuth round trip bound to that browser (a nonce in a cookie and
 * in the signed `state`), and the callback uses the link up atomically when Discord names the account.
 * A used or expired link offers "send me a new link", which goes to the customer's own email.
 */

/** Links in invitation emails work this long (once); the claim code is the fallback after that. */
export const CONNECT_LINK_EMAIL_TTL_MS = 30 * 86_400_000;
/** Links shown on a page to the browser that bought or signed in. */
export const CONNECT_LINK_PAGE_TTL_MS = 60 * 60_000;
/** At most this many Connect links are minted per customer per hour before "send me a new link" stops sending. */
export const CONNECT_LINKS_PER_HOUR = 5;
/** The OAuth round trip must finish within this. */
const STATE_TTL_MS = 10 * 60_000;

const NOT_CONFIGURED = 'Discord linking is not configured on this Rolegate instance.';

interface ConnectLinkInput {
  customerId: string;
  /** The purchase the link was sent for ("send me a new link" resends its invitation); null: customer-wide. */
  grantId: string | null;
  ttlMs: number;
}

/** Mints a single-use Connect Discord token for a customer. */
export async function mintConnectToken(ctx: AppContext, input: ConnectLinkInput): Promise<string> {
  const { token } = await mintBuyerToken(ctx.db.kysely, {
    purpose: 'connect',
    customerId: input.customerId,
    grantId: input.grantId,
    ttlMs: input.ttlMs,
    now: ctx.clock.now(),
  });
  return token;
}

/** A single-use Connect Discord link (in emails, DMs, and the page of the browser that bought). */
export async function connectLinkUrl(ctx: AppContext, input: ConnectLinkInput): Promise<string> {
  return `${ctx.publicUrl}/discord/link?token=${await mintConnectToken(ctx, input)}`;
}

export type LinkStart =
  | {
      kind: 'authorize';
      authorizeUrl: string;
      /** Random value also set as a cookie: the callback must come from the browser that started. */
      nonce: string;
    }
  | { kind: 'used' | 'expired' | 'unknown' };

/** Opening a link: when it is still usable, the authorize redirect with a signed, expiring `state`. */
export async function beginLink(
  ctx: AppContext,
  token: string,
  options: { fromPortal?: boolean } = {},
): Promise<LinkStart> {
  const clientId = ctx.config.DISCORD_APPLICATION_ID;
  if (!clientId || !ctx.config.DISCORD_CLIENT_SECRET || !ctx.ports.discord)
    throw new AppError('service_unavailable', NOT_CONFIGURED);
  const row = await findBuyerToken(ctx.db.kysely, 'connect', token);
  if (!row) return { kind: 'unknown' };
  const state = buyerTokenState(row, ctx.clock.now());
  if (state !== 'usable') return { kind: state };
  const nonce = randomBytes(16).toString('base64url');
  const claims = options.fromPortal ? { t: row.id, n: nonce, r: 'portal' } : { t: row.id, n: nonce };
  const signedState = ctx.secrets.sign(claims, ctx.clock.now() + STATE_TTL_MS);
  const url = new URL(authorizeBase(ctx.config.DISCORD_API_URL));
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: clientId,
    scope: 'identify guilds.join',
    state: signedState,
    redirect_uri: linkRedirectUri(ctx),
    prompt: 'consent',
  }).toString();
  return { kind: 'authorize', authorizeUrl: url.toString(), nonce };
}

export type LinkOutcome =
  | {
      kind: 'linked';
      username: string;
      discordUserId: string;
      previousUserId: string | null;
      /** Started from the customer portal: the browser goes back there. */
      fromPortal: boolean;
    }
  | { kind: 'used' | 'expired'; linkId: string };

/** Exchanges an OAuth code (sent to the link callback) and names the Discord account behind it. */
export async function identify(ctx: AppContext, code: string) {
  const discord = ctx.ports.discord;
  if (!discord) throw new AppError('service_unavailable', NOT_CONFIGURED);
  let tokens: DiscordOAuthTokens;
  try {
    tokens = await discord.exchangeCode(code, linkRedirectUri(ctx));
  } catch (err) {
    if (err instanceof FailureError && err.failure.owner !== 'retry')
      throw new AppError(
        'bad_request',
        'Discord did not accept this sign-in (the code was used or expired). Open the link from your email again.',
      );
    throw new AppError('service_unavailable', 'Discord did not answer. Try again in a minute.');
  }
  return { tokens, user: await discord.getOAuthUser(tokens.accessToken) };
}

/**
 * The callback: the `state` must be ours and unexpired, the browser must hold its nonce, and the
 * link must still be unused when Discord has named the account; using it and linking are one
 * transaction, so of two browsers racing with one link exactly one links.
 */
export async function completeLink(
  ctx: AppContext,
  input: { code: string; state: string; nonce: string | null },
): Promise<LinkOutcome> {
  const state = ctx.secrets.verify(input.state, ctx.clock.now());
  if (!state || typeof state.t !== 'string' || typeof state.n !== 'string')
    throw new AppError(
      'bad_request',
      'This sign-in took too long or did not start here. Open the link from your email again.',
    );
  if (!input.nonce || input.nonce !== state.n)
    throw new AppError(
      'bad_request',
      'Finish connecting Discord in the same browser you started in. Open the link from your email again.',
    );
  const link = await buyerTokenById(ctx.db.kysely, state.t);
  if (!link) throw new AppError('not_found', 'This purchase no longer exists.');
  const before = buyerTokenState(link, ctx.clock.now());
  if (before !== 'usable') return { kind: before, linkId: link.id };

  const { tokens, user } = await identify(ctx, input.code);
  const now = ctx.clock.now();
  return inTransaction(ctx, async (tx): Promise<LinkOutcome> => {
    if (!(await consumeBuyerToken(tx.db, link.id, now))) return { kind: 'used', linkId: link.id };
    const previousUserId = await linkCustomerToDiscord(ctx, tx, {
      customerId: link.customerId,
      discordUserId: user.id,
      username: user.username,
      tokens: {
        access_token_enc: ctx.secrets.encrypt(tokens.accessToken),
        refresh_token_enc: ctx.secrets.encrypt(tokens.refreshToken),
        token_expires_at: now + tokens.expiresIn * 1000,
        scope: tokens.scope,
      },
      cause: `person:discord:${user.id}`,
    });
    const fromPortal = state.r === 'portal';
    return { kind: 'linked', username: user.username, discordUserId: user.id, previousUserId, fromPortal };
  });
}

/**
 * "Send me a new link" from a used or expired link: a fresh invitation (or, for a customer-wide
 * link, a sign-in link) goes to the customer's own email, never to whoever clicked. Rate-limited per
 * customer, and silent either way: the page says the same whatever happened.
 */
export async function resendConnectLink(
  ctx: AppContext,
  which: { token: string } | { linkId: string },
): Promise<void> {
  const link =
    'token' in which
      ? await findBuyerToken(ctx.db.kysely, 'connect', which.token)
      : await buyerTokenById(ctx.db.kysely, which.linkId);
  if (link?.purpose !== 'connect') return;
  if (!(await underHourlyLimit(ctx, link.customerId, 'connect', CONNECT_LINKS_PER_HOUR))) {
    ctx.log.info({ customerId: link.customerId }, 'new Connect link not sent: hourly limit reached');
    return;
  }
  const grantId = link.grantId;
  const status = grantId ? await grantStatus(ctx.db.kysely, grantId) : null;
  if (grantId && status !== null && status !== 'revoked') {
    await inTransaction(ctx, (tx) => queueInvitation(tx, grantId, `customer:${link.customerId}`));
    return;
  }
  await requestSignInLink(ctx, link.customerId, null);
}
