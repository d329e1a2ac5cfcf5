import formbody from '@fastify/formbody';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { beginLink, completeLink, resendConnectLink, type LinkStart } from '../../app/buyer/connect.js';
import { completePortalDiscordSignIn, isPortalState } from '../../app/portal/sign-in.js';
import type { AppContext } from '../../app/shared/context.js';
import { resolveCheckoutLink } from '../../app/buyer/interactions.js';
import { AppError } from '../../core/errors.js';
import { clearCookie, COOKIES, readSignedCookie, setSignedCookie } from '../cookies.js';
import { escapeHtml, htmlPage, messagePage, postButton } from '../html.js';

/**
 * Buyer-facing pages: connect a Discord account (OAuth `identify guilds.join`) with a single-use
 * link, and the short checkout redirect behind the roles-channel link buttons. A person reads these
 * in a browser, so they answer with small HTML pages, never JSON errors.
 */

const NOT_CONNECTED = 'Discord was not connected';
/** How long the "send me a new link" button of a refused callback works. */
const RESEND_REF_TTL_MS = 60 * 60_000;

function problemPage(reply: FastifyReply, err: unknown) {
  if (err instanceof AppError) return messagePage(reply, err.status, NOT_CONNECTED, err.message);
  throw err;
}

/**
 * A link that cannot be used (any more): say so, and offer a fresh one sent to the buyer's own
 * email. `resend` names the link to the resend form: its token, or (after the OAuth round trip,
 * where only its id is known) a signed reference.
 */
function deadLinkPage(
  reply: FastifyReply,
  kind: 'used' | 'expired' | 'unknown',
  resend: { token: string } | { ref: string },
) {
  if (kind === 'unknown')
    return messagePage(reply, 404, 'This link does not work', 'Open the newest link from your email.');
  const why =
    kind === 'used'
      ? 'This link was already used. If you connected Discord with it, you are all set.'
      : 'This link has expired.';
  return htmlPage(
    reply,
    410,
    'This link no longer works',
    `<h1>This link no longer works</h1><p>${escapeHtml(why)} Each link works once.</p>` +
      '<p>Need to connect (another) Discord account? We will email a new link to the address of the purchase.</p>' +
      postButton('/discord/link/resend', 'Send me a new link', resend),
  );
}

/** Starts the OAuth round trip in this browser: the nonce cookie, then Discord's consent page. */
export function redirectToDiscord(
  reply: FastifyReply,
  ctx: AppContext,
  start: Extract<LinkStart, { kind: 'authorize' }>,
  status: 302 | 303,
) {
  setSignedCookie(reply, ctx, COOKIES.link, start.nonce);
  return reply.header('cache-control', 'no-store').redirect(start.authorizeUrl, status);
}

const tokenQuery = z.object({ token: z.string().max(200).optional() });

/** Opening a Connect link, and asking for a new one. */
function registerLinkPages(scope: FastifyInstance, ctx: AppContext) {
  const r = scope.withTypeProvider<ZodTypeProvider>();

  r.get(
    '/discord/link',
    { schema: { hide: true, querystring: tokenQuery }, config: { auth: 'public' } },
    async (request, reply) => {
      const token = request.query.token ?? '';
      try {
        const start = await beginLink(ctx, token);
        if (start.kind !== 'authorize') return deadLinkPage(reply, start.kind, { token });
        return redirectToDiscord(reply, ctx, start, 302);
      } catch (err) {
        return problemPage(reply, err);
      }
    },
  );

  r.post(
    '/discord/link/resend',
    {
      schema: {
        hide: true,
        body: z.object({ token: z.string().max(200).optional(), ref: z.string().max(500).optional() }),
      },
      config: { auth: 'public' },
    },
    async (request, reply) => {
      const { token, ref } = request.body;
      const linkId = ref ? ctx.secrets.verify(ref, ctx.clock.now())?.link : undefined;
      if (token) await resendConnectLink(ctx, { token });
      else if (typeof linkId === 'string') await resendConnectLink(ctx, { linkId });
      return messagePage(
        reply,
        200,
        'Check your email',
        'If this link was yours, a new one is on its way to the email address of the purchase.',
      );
    },
  );
}

/** "Sign in with Discord" to the customer portal comes back through the same callback (one redirect URI). */
async function portalSignedIn(
  reply: FastifyReply,
  ctx: AppContext,
  input: { code: string; state: string; nonce: string | null },
) {
  const outcome = await completePortalDiscordSignIn(ctx, input);
  clearCookie(reply, ctx, COOKIES.link);
  if (outcome.kind === 'no_purchases')
    return messagePage(
      reply,
      404,
      'No purchases for this Discord account',
      `No purchase is connected to the Discord account ${outcome.username}. Sign in with the email address you paid with instead: ${ctx.publicUrl}/portal`,
    );
  setSignedCookie(reply, ctx, COOKIES.portal, outcome.token);
  return reply.redirect('/portal', 303);
}

/** Discord sends the browser back here with the code. */
function registerLinkCallback(app: FastifyInstance, ctx: AppContext) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get(
    '/discord/link/callback',
    {
      schema: {
        hide: true,
        querystring: z.object({
          code: z.string().min(1).max(500).optional(),
          state: z.string().min(1).max(2000).optional(),
          error: z.string().max(200).optional(),
        }),
      },
      config: { auth: 'public' },
    },
    async (request, reply) => {
      const { code, state, error } = request.query;
      if (error || !code || !state)
        return messagePage(
          reply,
          400,
          NOT_CONNECTED,
          error === 'access_denied'
            ? 'You cancelled on Discord. Open the link from your email again whenever you are ready.'
            : 'Discord did not send us a sign-in. Open the link from your email again.',
        );
      try {
        const nonce = readSignedCookie(request, COOKIES.link);
        if (isPortalState(ctx, state)) return await portalSignedIn(reply, ctx, { code, state, nonce });
        const outcome = await completeLink(ctx, { code, state, nonce });
        clearCookie(reply, ctx, COOKIES.link);
        if (outcome.kind !== 'linked') {
          const ref = ctx.secrets.sign({ link: outcome.linkId }, ctx.clock.now() + RESEND_REF_TTL_MS);
          return deadLinkPage(reply, outcome.kind, { ref });
        }
        if (outcome.fromPortal) return reply.redirect('/portal?done=connected', 303);
        return messagePage(
          reply,
          200,
          'Discord connected',
          `Connected as ${outcome.username}. Your roles are on their way; you can close this page.`,
        );
      } catch (err) {
        return problemPage(reply, err);
      }
    },
  );
}

/** The short checkout redirect behind the roles-channel link buttons. */
function registerShortCheckoutLink(app: FastifyInstance, ctx: AppContext) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get(
    '/c/:token',
    {
      schema: { hide: true, params: z.object({ token: z.string().regex(/^[\w-]{10,64}$/) }) },
      config: { auth: 'public' },
    },
    async (request, reply) => {
      const url = await resolveCheckoutLink(ctx, request.params.token);
      if (!url)
        return messagePage(
          reply,
          404,
          'This checkout link has expired',
          'Click the button in the Discord roles channel again to get a fresh link.',
        );
      return reply.header('cache-control', 'no-store').redirect(url, 302);
    },
  );
}

export function registerDiscordLinkRoutes(app: FastifyInstance, ctx: AppContext) {
  void app.register(async (scope) => {
    await scope.register(formbody);
    registerLinkPages(scope, ctx);
  });
  registerLinkCallback(app, ctx);
  registerShortCheckoutLink(app, ctx);
}
