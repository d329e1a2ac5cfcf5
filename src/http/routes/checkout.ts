import formbody from '@fastify/formbody';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { createCheckout, createPortalLink, discordLinkUrl, offerFor } from '../../app/checkout.js';
import type { AppContext } from '../../app/context.js';
import { requireStripe } from '../../app/prices.js';
import { syncCheckoutSession } from '../../app/stripe-lifecycle.js';
import { AppError } from '../../core/errors.js';
import { idOf, idParams, requireId, snowflake, text } from '../schemas.js';

const esc = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );

function page(reply: FastifyReply, status: number, title: string, body: string) {
  return reply
    .status(status)
    .type('text/html; charset=utf-8')
    .send(
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">` +
        `<title>${esc(title)}</title><style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;line-height:1.5}` +
        `button,.button{background:#5865f2;color:#fff;border:0;border-radius:6px;padding:.6rem 1.2rem;font-size:1rem;text-decoration:none;display:inline-block}` +
        `input[type=email]{width:100%;padding:.5rem;font-size:1rem;margin:.5rem 0 1rem}</style></head><body>${body}</body></html>`,
    );
}

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

/**
 * Public buying pages (offer page → Stripe Checkout → success page) and the API to start a checkout
 * or open the billing portal.
 */
export function registerCheckoutRoutes(app: FastifyInstance, ctx: AppContext) {
  const api = app.withTypeProvider<ZodTypeProvider>();

  void app.register(async (scope) => {
    await scope.register(formbody);
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
            return page(reply, 409, 'Not for sale', `<h1>Not for sale</h1><p>${esc(err.message)}.</p>`);
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
        return page(
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
        const link = await createCheckout(ctx, {
          entitlementId: request.params.entitlementId,
          email: request.body.email,
          ...(request.body.price_id ? { priceId: request.body.price_id } : {}),
        });
        return reply.redirect(link.url, 303);
      },
    );

    r.get(
      '/checkout/success',
      {
        schema: { hide: true, querystring: z.object({ session_id: z.string().min(1).max(300) }) },
        config: { auth: 'public' },
      },
      async (request, reply) => {
        requireStripe(ctx);
        // The same idempotent fulfil the webhook runs: the page is right even before the event lands.
        const grant = await syncCheckoutSession(ctx, request.query.session_id);
        if (!grant) return page(reply, 404, 'Unknown purchase', '<h1>We could not find this purchase</h1>');
        const customer = await ctx.db.kysely
          .selectFrom('customers')
          .select('discord_user_id')
          .where('id', '=', grant.customer_id)
          .executeTakeFirstOrThrow();
        if (grant.active !== 1)
          return page(
            reply,
            200,
            'Payment processing',
            '<h1>Thanks! Your payment is being processed</h1><p>We will email you as soon as it is confirmed.</p>',
          );
        if (!customer.discord_user_id)
          return page(
            reply,
            200,
            'Connect Discord',
            `<h1>Payment received</h1><p>One step left: connect your Discord account to get your roles.</p>` +
              `<p><a class="button" href="${esc(discordLinkUrl(ctx, grant.id))}">Connect Discord</a></p>` +
              (grant.claim_code
                ? `<p>Or type <code>/claim ${esc(grant.claim_code)}</code> in the server.</p>`
                : ''),
          );
        return page(
          reply,
          200,
          "You're in",
          "<h1>You're in!</h1><p>Your roles are on their way in Discord.</p>",
        );
      },
    );
  });

  api.post(
    '/api/checkout-sessions',
    {
      schema: {
        tags: ['checkout'],
        summary: 'Start a checkout for a buyer (or get their billing portal if they already hold it)',
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
