import formbody from '@fastify/formbody';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  buyerCheckout,
  buyerConnect,
  buyerOverview,
  buyerPortal,
  type BuyerOverview,
} from '../../app/buyer/manage.js';
import { signInLinkState, signInWithLink, type BuyerSession } from '../../app/buyer/sign-in.js';
import type { AppContext } from '../../app/shared/context.js';
import { AppError } from '../../core/errors.js';
import { isId } from '../../core/ids.js';
import { COOKIES, readSignedCookie, rememberInBrowser, setSignedCookie } from '../cookies.js';
import { escapeHtml as esc, htmlPage, messagePage, postButton } from '../html.js';
import { redirectToDiscord } from './discord-link.js';

/**
 * A buyer's own pages, reached only through the single-use sign-in link emailed to them (decision
 * 0007): opening the link shows a button (so mail scanners that fetch links do not use it up), the
 * button uses the link and signs this browser in for an hour, and the signed-in page offers the
 * billing portal, a fresh checkout, and connecting Discord. Every change is a POST; the session
 * cookie is SameSite=Lax, so another site cannot post with it.
 */

const LINK_DEAD =
  'This link was already used or has expired. Enter your email on the offer page again to get a new one.';

function encodeSession(s: BuyerSession): string {
  return `${s.customerId}.${s.entitlementId ?? '-'}.${s.expiresAt}`;
}

/** The signed-in buyer of this browser, or null (absent, forged, malformed or expired cookie). */
function sessionOf(request: FastifyRequest, ctx: AppContext): BuyerSession | null {
  const [customerId, entitlementId, expires] = (readSignedCookie(request, COOKIES.buyer) ?? '').split('.');
  const expiresAt = Number(expires);
  if (!customerId || !isId('customer', customerId) || !(expiresAt > ctx.clock.now())) return null;
  if (!entitlementId || (entitlementId !== '-' && !isId('entitlement', entitlementId))) return null;
  return { customerId, entitlementId: entitlementId === '-' ? null : entitlementId, expiresAt };
}

/** A POST from a page of another site is refused even if a browser sent the cookie along. */
function fromAnotherSite(request: FastifyRequest, ctx: AppContext): boolean {
  const origin = request.headers.origin;
  return origin !== undefined && origin !== new URL(ctx.publicUrl).origin;
}

/** A refusal from a use case (not for sale, nothing to bill, Stripe busy) as a page, not JSON. */
async function asPage(reply: FastifyReply, action: () => Promise<unknown>) {
  try {
    return await action();
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    return messagePage(reply, err.status, 'That did not work', err.message);
  }
}

const signedOut = (reply: FastifyReply) =>
  messagePage(
    reply,
    401,
    'Please sign in again',
    'Your sign-in has ended. Enter your email on the offer page to get a new link.',
  );

function overviewPage(reply: FastifyReply, o: BuyerOverview) {
  const discord = o.discordUserId
    ? `<p>Roles go to the Discord account <strong>${esc(o.discordUsername ?? o.discordUserId)}</strong>.</p>` +
      postButton('/buyer/connect', 'Connect a different Discord account')
    : '<p>No Discord account is connected yet.</p>' + postButton('/buyer/connect', 'Connect Discord');
  const offer = !o.offer
    ? ''
    : o.offer.held
      ? `<h2>${esc(o.offer.name)}</h2><p>You already have it.</p>`
      : `<h2>${esc(o.offer.name)}</h2>` +
        postButton('/buyer/checkout', 'Continue to payment', { entitlement_id: o.offer.id });
  const billing = o.hasBilling ? postButton('/buyer/portal', 'Manage billing') : '';
  const list = o.purchases.length
    ? `<h2>Your purchases</h2><ul>${o.purchases
        .map((p) => `<li>${esc(p.name)} (${p.active ? 'active' : esc(p.status)})</li>`)
        .join('')}</ul>`
    : '';
  return htmlPage(
    reply,
    200,
    'Your purchases',
    `<h1>Your purchases</h1><p>Signed in as ${esc(o.email ?? '')}.</p>${offer}${billing}${list}<h2>Discord</h2>${discord}`,
  );
}

const token = z.string().max(200);

/** Opening the emailed link (a page with a button) and using it (the button). */
function registerSignInPages(scope: FastifyInstance, ctx: AppContext) {
  const r = scope.withTypeProvider<ZodTypeProvider>();

  r.get(
    '/buyer/sign-in',
    {
      schema: { hide: true, querystring: z.object({ token: token.optional() }) },
      config: { auth: 'public' },
    },
    async (request, reply) => {
      const raw = request.query.token ?? '';
      if ((await signInLinkState(ctx, raw)) !== 'usable')
        return messagePage(reply, 410, 'This link no longer works', LINK_DEAD);
      return htmlPage(
        reply,
        200,
        'Continue',
        '<h1>Continue to your purchase</h1><p>This link works once and signs in this browser for an hour.</p>' +
          postButton('/buyer/sign-in', 'Continue', { token: raw }),
      );
    },
  );

  r.post(
    '/buyer/sign-in',
    { schema: { hide: true, body: z.object({ token }) }, config: { auth: 'public' } },
    async (request, reply) => {
      const session = await signInWithLink(ctx, request.body.token);
      if (!session) return messagePage(reply, 410, 'This link no longer works', LINK_DEAD);
      setSignedCookie(reply, ctx, COOKIES.buyer, encodeSession(session));
      // The success page may then show this customer's Connect link to this browser.
      rememberInBrowser(request, reply, ctx, session.customerId);
      return reply.redirect('/buyer', 303);
    },
  );
}

/** What the signed-in buyer sees and may do. */
function registerSignedInPages(scope: FastifyInstance, ctx: AppContext) {
  const r = scope.withTypeProvider<ZodTypeProvider>();
  /** The signed-in buyer of a same-site POST, or null. */
  const poster = (request: FastifyRequest) =>
    fromAnotherSite(request, ctx) ? null : sessionOf(request, ctx);

  r.get('/buyer', { schema: { hide: true }, config: { auth: 'public' } }, async (request, reply) => {
    const session = sessionOf(request, ctx);
    if (!session) return signedOut(reply);
    return overviewPage(reply, await buyerOverview(ctx, session));
  });

  r.post('/buyer/portal', { schema: { hide: true }, config: { auth: 'public' } }, async (request, reply) => {
    const session = poster(request);
    if (!session) return signedOut(reply);
    return asPage(reply, async () => reply.redirect(await buyerPortal(ctx, session), 303));
  });

  r.post(
    '/buyer/checkout',
    {
      schema: { hide: true, body: z.object({ entitlement_id: z.string().max(200) }) },
      config: { auth: 'public' },
    },
    async (request, reply) => {
      const session = poster(request);
      if (!session) return signedOut(reply);
      const entitlementId = request.body.entitlement_id;
      if (!isId('entitlement', entitlementId))
        return messagePage(reply, 404, 'Not for sale', 'This offer does not exist.');
      return asPage(reply, async () => {
        const link = await buyerCheckout(ctx, session, entitlementId);
        if (link.kind === 'checkout') rememberInBrowser(request, reply, ctx, link.grantId);
        return reply.redirect(link.url, 303);
      });
    },
  );

  r.post('/buyer/connect', { schema: { hide: true }, config: { auth: 'public' } }, async (request, reply) => {
    const session = poster(request);
    if (!session) return signedOut(reply);
    return asPage(reply, async () => {
      const start = await buyerConnect(ctx, session);
      if (start.kind !== 'authorize') return signedOut(reply);
      return redirectToDiscord(reply, ctx, start, 303);
    });
  });
}

export function registerBuyerRoutes(app: FastifyInstance, ctx: AppContext) {
  void app.register(async (scope) => {
    await scope.register(formbody);
    registerSignInPages(scope, ctx);
    registerSignedInPages(scope, ctx);
  });
}
