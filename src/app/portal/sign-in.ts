import { randomBytes } from 'node:crypto';
import { portalSignInJob } from './jobs.js';
import { AppError } from '../../core/errors.js';
import { inTransaction, type AppContext } from '../shared/context.js';
import { normalizeEmail } from '../grants/customers.js';
import { authorizeBase, linkRedirectUri } from '../buyer/discord-link.js';
import { identify } from '../buyer/connect.js';
import {
  emailedLinkState,
  emailLink,
  useEmailedLink,
  type BuyerTokenState,
  type EmailedLinkKind,
} from '../buyer/emailed-links.js';

import { merchantName, renderPortalSignInEmail } from './emails.js';
import { startPortalSession } from './sessions.js';
import { customerByEmail, customerIdsOfDiscordUser } from './store.js';

/**
 * Signing into the customer portal (decision 0021): by a single-use link emailed to the address of
 * the purchase (15 minutes, `buyer_tokens` purpose `portal`), or with Discord (OAuth `identify`;
 * the session sees the purchases of every customer linked to that account).
 */

export const PORTAL_LINK_TTL_MS = 15 * 60_000;
/** Sign-in emails per customer per hour, whoever asks. */
export const PORTAL_LINKS_PER_HOUR = 3;
const STATE_TTL_MS = 10 * 60_000;

const PORTAL_LINK: EmailedLinkKind = {
  purpose: 'portal',
  path: '/portal/sign-in',
  ttlMs: PORTAL_LINK_TTL_MS,
  perHour: PORTAL_LINKS_PER_HOUR,
  name: 'portal sign-in link',
};

/** Queues the sign-in email when the address has purchases; the answer is the same either way. */
export async function requestPortalLink(ctx: AppContext, email: string): Promise<void> {
  const customer = await customerByEmail(ctx.db.kysely, normalizeEmail(email));
  if (!customer) return;
  await inTransaction(ctx, (tx) =>
    tx.enqueue(portalSignInJob, { customerId: customer.id }, { dedupeKey: `portal-sign-in:${customer.id}` }),
  );
}

/** The job: mint a 15-minute link and mail it, unless this customer had enough this hour. */
export async function sendPortalLink(ctx: AppContext, { customerId }: { customerId: string }): Promise<void> {
  await emailLink(ctx, PORTAL_LINK, {
    customerId,
    render: (url) => renderPortalSignInEmail(merchantName(ctx), url),
  });
}

export async function portalLinkState(ctx: AppContext, token: string): Promise<BuyerTokenState | 'unknown'> {
  return emailedLinkState(ctx, PORTAL_LINK, token);
}

/** Uses the emailed link once and signs the browser in; null when it is unknown, used or expired. */
export async function signInWithPortalLink(ctx: AppContext, token: string): Promise<string | null> {
  const used = await useEmailedLink(ctx, PORTAL_LINK, token);
  return used && startPortalSession(ctx, { customerId: used.customerId });
}

/** "Sign in with Discord": the authorize URL (scope `identify`) and the nonce the browser keeps. */
export function beginPortalDiscordSignIn(ctx: AppContext): { authorizeUrl: string; nonce: string } {
  const clientId = ctx.config.DISCORD_APPLICATION_ID;
  if (!clientId || !ctx.config.DISCORD_CLIENT_SECRET || !ctx.ports.discord)
    throw new AppError(
      'service_unavailable',
      'Signing in with Discord is not configured here. Use your email.',
    );
  const nonce = randomBytes(16).toString('base64url');
  const url = new URL(authorizeBase(ctx.config.DISCORD_API_URL));
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: clientId,
    scope: 'identify',
    state: ctx.secrets.sign({ k: 'portal', n: nonce }, ctx.clock.now() + STATE_TTL_MS),
    redirect_uri: linkRedirectUri(ctx),
  }).toString();
  return { authorizeUrl: url.toString(), nonce };
}

/** True for a `state` our portal sign-in signed (the link callback hands those to the portal). */
export function isPortalState(ctx: AppContext, state: string): boolean {
  return ctx.secrets.verify(state, ctx.clock.now())?.k === 'portal';
}

export type PortalDiscordOutcome =
  { kind: 'signed_in'; token: string } | { kind: 'no_purchases'; username: string };

/** The callback of "Sign in with Discord": same browser (nonce), then a session for that account. */
export async function completePortalDiscordSignIn(
  ctx: AppContext,
  input: { code: string; state: string; nonce: string | null },
): Promise<PortalDiscordOutcome> {
  const state = ctx.secrets.verify(input.state, ctx.clock.now());
  if (state?.k !== 'portal' || !input.nonce || state.n !== input.nonce)
    throw new AppError('bad_request', 'This sign-in took too long or started in another browser. Try again.');
  const { user } = await identify(ctx, input.code);
  if ((await customerIdsOfDiscordUser(ctx.db.kysely, user.id)).length === 0)
    return { kind: 'no_purchases', username: user.username };
  return { kind: 'signed_in', token: await startPortalSession(ctx, { discordUserId: user.id }) };
}
