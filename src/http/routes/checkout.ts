import formbody from '@fastify/formbody';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { startOfferPurchase } from '../../app/buyer/offer.js';
import { successView, type SuccessView } from '../../app/buyer/success.js';
import { createCheckout, createPortalLink, offerFor } from '../../app/billing/checkout.js';
import type { AppContext } from '../../app/shared/context.js';
import { AppError } from '../../core/errors.js';
import { FailureError } from '../../core/failure.js';
import { readBrowserClaims, rememberInBrowser } from '../cookies.js';
import { escapeHtml as esc, htmlPage, messagePage } from '../html.js';
import { idOf, idParams, requireId, snowflake, text } from '../schemas.js';

function formatPrice(p: {
  amount: number;
  currency: string;
  kind: string;
  interval: string | null;
  interval_count: number | null;
}) {
  const money = new Intl.NumberFormat('en', { style: 'currency', currency: p.currency.toUpperCase() }).format(
    p.amount / 100,
  );
  if (p.kind !== 'recurring' || !p.interval) return money;
  const n = p.interval_count ?? 1;
  return `${money} every ${n === 1 ? p.interval : `${n} ${p.interval}s`}`;
}

const email = z.email('must be an email address').max(254);
const offerParams = z.strictObject({ entitlementId: z.string().max(200) });

/** The answer to the offer form for an email we may not act on: the same page whoever asked. */
const CHECK_EMAIL =
  '<h1>Check your email</h1><p>We sent a link to continue to this email address: open it to buy or ' +
  'manage your access. It works once, for 45 minutes.</p><p>Nothing changes until the link is opened.</p>';

function successPage(reply: FastifyReply, view: SuccessView) {
  switch (view.kind) {
    case 'not_found':
      return htmlPage(reply, 404, 'Unknown purchase', '<h1>We could not find this purchase</h1>');
    case 'processing':
      return messagePage(
        reply,
        200,
        'Thanks! Your payment is being processed',
        'We will email you as soon as it is confirmed.',
      );
    case 'linked':
      return messagePage(reply, 200, "You're in!", 'Your roles are on their way in Discord.');
    case 'check_email':
      return messagePage(
        reply,
        200,
        'Payment received',
        'Check your email: we sent the buyer a link to connect Discord and a claim code.',
      );
    case 'connect':
      return htmlPage(
        reply,
        200,
        'Connect Discord',
        `<h1>Payment received</h1><p>One step left: connect your Discord account to get your roles.</p>` +
          `<p><a class="button" href="${esc(view.connectUrl)}">Connect Discord</a></p>` +
          (view.claimCode ? `<p>Or type <code>/claim ${esc(view.claimCode)}</code> in the server.</p>` : ''),
      );
  }
}

/** The offer page and its form. */
function registerOfferPages(scope: FastifyInstance, ctx: AppContext) {
  const r = scope.withTypeProvider<ZodTypeProvider>();

  r.get(
    '/offers/:entitlementId',
    { schema: { hide: true, params: offerParams }, config: { auth: 'public' } },
    async (request, reply) => {
      requireId('entitlement', 'entitlement', request.params.entitlementId);
      let offer;
      try {
        offer = await offerFor(ctx, request.params.entitlementId);
      } catch (err) {
        if (err instanceof AppError && err.code === 'entitlement_not_for_sale')
          return messagePage(reply, 409, 'Not for sale', `${err.message}.`);
        throw err;
      }
      const { entitlement, prices } = offer;
      const options = prices
        .map(
          (p, i) =>
            `<label><input type="radio" name="price_id" value="${esc(p.id)}"${i === 0 ? ' checked' : ''}> ${esc(formatPrice(p))}</label><br>`,
        )
        .join('');
      const trial = entitlement.trial_days > 0 ? `<p>${entitlement.trial_days}-day free trial.</p>` : '';
      return htmlPage(
        reply,
        200,
        entitlement.name,
        `<h1>${esc(entitlement.name)}</h1><p>${esc(entitlement.description)}</p>${trial}` +
          `<form method="post" action="/offers/${esc(entitlement.id)}">${options}` +
          `<label>Email<input type="email" name="email" required maxlength="254" placeholder="you@example.com"></label>` +
          `<button type="submit">Continue to payment</button></form>`,
      );
    },
  );

  r.post(
    '/offers/:entitlementId',
    {
      schema: {
        hide: true,
        params: offerParams,
        body: z.object({ email, price_id: z.string().max(200).optional() }),
      },
      config: { auth: 'public' },
    },
    async (request, reply) => {
      requireId('entitlement', 'entitlement', request.params.entitlementId);
      const answer = await startOfferPurchase(ctx, {
        entitlementId: request.params.entitlementId,
        email: request.body.email,
        priceId: request.body.price_id,
      });
      if (answer.kind === 'check_email') return htmlPage(reply, 200, 'Check your email', CHECK_EMAIL);
      // Only this browser will see the purchase's Connect link and claim code on the success page.
      rememberInBrowser(request, reply, ctx, answer.grantId);
      return reply.header('cache-control', 'no-store').redirect(answer.url, 303);
    },
  );
}

/** Where Stripe sends the buyer back to. */
function registerSuccessPage(scope: FastifyInstance, ctx: AppContext) {
  const r = scope.withTypeProvider<ZodTypeProvider>();
  r.get(
    '/checkout/success',
    {
      schema: { hide: true, querystring: z.object({ session_id: z.string().max(300).optional() }) },
      config: { auth: 'public' },
    },
    async (request, reply) => {
      try {
        // The same idempotent fulfil the webhook runs: the page is right even before the event lands.
        const view = await successView(ctx, request.query.session_id ?? '', readBrowserClaims(request));
        return successPage(reply, view);
      } catch (err) {
        if (!(err instanceof FailureError) || err.failure.owner !== 'retry') throw err;
        return messagePage(reply, 503, 'Please refresh in a minute', 'Stripe did not answer just now.');
      }
    },
  );
}

/** The API to start a checkout for a buyer the merchant names, or open a grant's billing portal. */
function registerCheckoutApi(app: FastifyInstance, ctx: AppContext) {
  const api = app.withTypeProvider<ZodTypeProvider>();
  api.post(
    '/api/checkout-sessions',
    {
      schema: {
        tags: ['checkout'],
        summary: 'Start a checkout for a buyer (or get their billing portal if they already hold it)',
        description:
          'Always a new Checkout Session: the buyer’s older open sessions for the entitlement are expired, so only one can be paid. 409 while an earlier payment of this buyer is still being processed.',
        body: z
          .strictObject({
            entitlement_id: idOf('entitlement', 'ent_…'),
            price_id: text(200, 1).optional(),
            email: email.optional(),
            discord_user_id: snowflake.optional(),
          })
          .refine((b) => b.email !== undefined || b.discord_user_id !== undefined, {
            message: 'give email or discord_user_id',
          }),
        response: {
          200: z.object({
            kind: z.enum(['checkout', 'portal']),
            url: z.string(),
            grant_id: z.string().nullable(),
          }),
        },
      },
      config: { auth: 'api_key' },
    },
    async (request) => {
      const b = request.body;
      const link = await createCheckout(ctx, {
        entitlementId: b.entitlement_id,
        ...(b.price_id ? { priceId: b.price_id } : {}),
        ...(b.email ? { email: b.email } : {}),
        ...(b.discord_user_id ? { discordUserId: b.discord_user_id } : {}),
      });
      return { kind: link.kind, url: link.url, grant_id: link.kind === 'checkout' ? link.grantId : null };
    },
  );

  api.post(
    '/api/grants/:id/portal',
    {
      schema: {
        tags: ['checkout'],
        summary: "A Stripe Billing Portal link for the grant's buyer",
        params: idParams,
        response: { 200: z.object({ url: z.string() }) },
      },
      config: { auth: 'api_key' },
    },
    async (request) => ({ url: await createPortalLink(ctx, requireId('grant', 'grant', request.params.id)) }),
  );
}

/** Public buying pages (offer page → Stripe Checkout → success page) and the checkout API. */
export function registerCheckoutRoutes(app: FastifyInstance, ctx: AppContext) {
  void app.register(async (scope) => {
    await scope.register(formbody);
    registerOfferPages(scope, ctx);
    registerSuccessPage(scope, ctx);
  });
  registerCheckoutApi(app, ctx);
}
