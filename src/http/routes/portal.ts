import formbody from '@fastify/formbody';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  portalBilling,
  portalCancel,
  portalConnect,
  portalRegain,
  portalResume,
} from '../../app/portal/actions.js';
import { portalView } from '../../app/portal/overview.js';
import { portalChangePlan, portalPlanChoices } from '../../app/portal/plan-change.js';
import { planChoicesBody } from '../portal-plan-page.js';
import { csrfValid, endPortalSession, portalSession, type PortalSession } from '../../app/portal/sessions.js';
import {
  beginPortalDiscordSignIn,
  portalLinkState,
  requestPortalLink,
  signInWithPortalLink,
} from '../../app/portal/sign-in.js';
import type { AppContext } from '../../app/shared/context.js';
import { AppError } from '../../core/errors.js';
import { clearCookie, COOKIES, readSignedCookie, setSignedCookie } from '../cookies.js';
import { escapeHtml as esc } from '../html.js';
import {
  action,
  emailForm,
  NOTICES,
  overviewBody,
  portalPage,
  signInBody,
  type Notice,
} from '../portal-pages.js';
import { redirectToDiscord } from './discord-link.js';

/**
 * The customer portal (decision 0021): sign in by an emailed single-use link or with Discord, then
 * see every purchase and act on it. Pages are server-rendered HTML; every change is a POST with the
 * session's CSRF token, from this site (an `Origin` of another site is refused as well).
 */

const token = z.string().max(200);
const id = z.string().max(100);

async function sessionOf(ctx: AppContext, request: FastifyRequest): Promise<PortalSession | null> {
  return portalSession(ctx, readSignedCookie(request, COOKIES.portal));
}

const signedOutPage = (reply: FastifyReply, status = 401) =>
  portalPage(
    reply,
    status,
    'Sign in',
    signInBody(status === 401 ? 'Please sign in (again) to continue.' : undefined),
  );

function deadLinkPage(reply: FastifyReply, kind: 'used' | 'expired' | 'unknown') {
  const why =
    kind === 'used'
      ? 'This sign-in link was already used. Each link works once.'
      : kind === 'expired'
        ? 'This sign-in link has expired (links work for 15 minutes).'
        : 'This sign-in link does not work. Open the newest link from your email.';
  return portalPage(
    reply,
    kind === 'unknown' ? 404 : 410,
    'This link no longer works',
    `<h1>This link no longer works</h1><p class="problem">${esc(why)}</p>` +
      `<div class="card">${emailForm('Get a new link: enter the email address you paid with.')}</div>`,
  );
}

/** Runs a signed-in POST: a session, a same-site origin and the CSRF token, or a refusal page. */
async function signedInPost(
  ctx: AppContext,
  request: FastifyRequest,
  reply: FastifyReply,
  run: (session: PortalSession) => Promise<unknown>,
) {
  const session = await sessionOf(ctx, request);
  if (!session) return signedOutPage(reply);
  // Our pages send `Referrer-Policy: no-referrer`, so browsers post them with `Origin: null`: only
  // another site's origin is refused here; the CSRF token is the real check.
  const origin = request.headers.origin === 'null' ? undefined : request.headers.origin;
  const csrf = (request.body as { csrf?: unknown } | undefined)?.csrf;
  if (
    (origin !== undefined && origin !== new URL(ctx.publicUrl).origin) ||
    !csrfValid(session, typeof csrf === 'string' ? csrf : undefined)
  )
    return portalPage(
      reply,
      403,
      'Please try again',
      '<h1>Please try again</h1><p>This form is out of date. <a href="/portal">Reload your purchases</a> and try again.</p>',
    );
  try {
    return await run(session);
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    return portalPage(
      reply,
      err.status,
      'That did not work',
      `<h1>That did not work</h1><p>${esc(err.message)}</p><p><a href="/portal">Back to your purchases</a></p>`,
    );
  }
}

const done = (reply: FastifyReply, notice: Notice) => reply.redirect(`/portal?done=${notice}`, 303);

function registerSignIn(scope: FastifyInstance, ctx: AppContext) {
  const r = scope.withTypeProvider<ZodTypeProvider>();
  const hidden = { hide: true } as const;
  const pub = { auth: 'public' } as const;

  r.post(
    '/portal/sign-in/email',
    { schema: { ...hidden, body: z.object({ email: z.email().max(254) }) }, config: pub },
    async (request, reply) => {
      await requestPortalLink(ctx, request.body.email);
      return portalPage(
        reply,
        200,
        'Check your email',
        '<h1>Check your email</h1><p>If this address has purchases, a sign-in link is on its way. It works once, for 15 minutes.</p>',
      );
    },
  );

  r.get(
    '/portal/sign-in',
    { schema: { ...hidden, querystring: z.object({ token: token.optional() }) }, config: pub },
    async (request, reply) => {
      const raw = request.query.token ?? '';
      const state = await portalLinkState(ctx, raw);
      if (state !== 'usable') return deadLinkPage(reply, state);
      // Opening changes nothing (mail scanners fetch links); the button uses the link.
      return portalPage(
        reply,
        200,
        'Sign in',
        '<h1>Sign in to your purchases</h1><p>This link works once and signs in this browser for 12 hours.</p>' +
          `<form method="post" action="/portal/sign-in"><input type="hidden" name="token" value="${esc(raw)}"><button type="submit">Sign in</button></form>`,
      );
    },
  );

  r.post(
    '/portal/sign-in',
    { schema: { ...hidden, body: z.object({ token }) }, config: pub },
    async (request, reply) => {
      const sessionToken = await signInWithPortalLink(ctx, request.body.token);
      if (!sessionToken) {
        const state = await portalLinkState(ctx, request.body.token);
        return deadLinkPage(reply, state === 'usable' ? 'used' : state);
      }
      setSignedCookie(reply, ctx, COOKIES.portal, sessionToken);
      return reply.redirect('/portal', 303);
    },
  );

  r.get('/portal/sign-in/discord', { schema: hidden, config: pub }, async (_request, reply) => {
    try {
      const start = beginPortalDiscordSignIn(ctx);
      return redirectToDiscord(reply, ctx, { kind: 'authorize', ...start }, 302);
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      return portalPage(reply, err.status, 'Sign in', signInBody(err.message));
    }
  });
}

function registerPortal(scope: FastifyInstance, ctx: AppContext) {
  const r = scope.withTypeProvider<ZodTypeProvider>();
  const pub = { auth: 'public' } as const;
  const notice = z.enum(Object.keys(NOTICES) as [Notice, ...Notice[]]);

  r.get(
    '/portal',
    { schema: { hide: true, querystring: z.object({ done: notice.optional() }) }, config: pub },
    async (request, reply) => {
      const session = await sessionOf(ctx, request);
      if (!session) return portalPage(reply, 200, 'Sign in', signInBody());
      const view = await portalView(ctx, session);
      const signOut = action(session.csrf, '/portal/sign-out', 'Sign out', {}, 'link');
      return portalPage(
        reply,
        200,
        'Your purchases',
        overviewBody(view, session.csrf, request.query.done),
        signOut,
      );
    },
  );

  const byCustomer = {
    schema: { hide: true, body: z.object({ csrf: token.optional(), customer_id: id }) },
    config: pub,
  };
  const byGrant = {
    schema: { hide: true, body: z.object({ csrf: token.optional(), grant_id: id }) },
    config: pub,
  };

  r.post('/portal/connect', byCustomer, (request, reply) =>
    signedInPost(ctx, request, reply, async (s) => {
      const start = await portalConnect(ctx, s, request.body.customer_id);
      if (start.kind !== 'authorize') throw new AppError('service_unavailable', 'Please try again.');
      return redirectToDiscord(reply, ctx, start, 303);
    }),
  );
  r.post('/portal/billing', byCustomer, (request, reply) =>
    signedInPost(ctx, request, reply, async (s) =>
      reply.redirect(await portalBilling(ctx, s, request.body.customer_id), 303),
    ),
  );
  r.post('/portal/regain', byGrant, (request, reply) =>
    signedInPost(ctx, request, reply, async (s) => {
      const outcome = await portalRegain(ctx, s, request.body.grant_id);
      if (outcome.kind === 'queued') return done(reply, 'regain');
      if (outcome.start.kind !== 'authorize') throw new AppError('service_unavailable', 'Please try again.');
      return redirectToDiscord(reply, ctx, outcome.start, 303);
    }),
  );
  r.post('/portal/cancel', byGrant, (request, reply) =>
    signedInPost(ctx, request, reply, async (s) => {
      await portalCancel(ctx, s, request.body.grant_id);
      return done(reply, 'cancelled');
    }),
  );
  r.post('/portal/resume', byGrant, (request, reply) =>
    signedInPost(ctx, request, reply, async (s) => {
      await portalResume(ctx, s, request.body.grant_id);
      return done(reply, 'resumed');
    }),
  );
  r.post(
    '/portal/sign-out',
    { schema: { hide: true, body: z.object({ csrf: token.optional() }) }, config: pub },
    (request, reply) =>
      signedInPost(ctx, request, reply, async (s) => {
        await endPortalSession(ctx, s);
        clearCookie(reply, ctx, COOKIES.portal);
        return reply.redirect('/portal', 303);
      }),
  );
}

/** "Change plan" (decision 0022): the choices page and the change itself. */
function registerPlanChange(scope: FastifyInstance, ctx: AppContext) {
  const r = scope.withTypeProvider<ZodTypeProvider>();
  const pub = { auth: 'public' } as const;
  r.get(
    '/portal/plan',
    { schema: { hide: true, querystring: z.object({ grant_id: id }) }, config: pub },
    async (request, reply) => {
      const session = await sessionOf(ctx, request);
      if (!session) return signedOutPage(reply);
      try {
        const choices = await portalPlanChoices(ctx, session, request.query.grant_id);
        const signOut = action(session.csrf, '/portal/sign-out', 'Sign out', {}, 'link');
        return portalPage(reply, 200, 'Change plan', planChoicesBody(choices, session.csrf), signOut);
      } catch (err) {
        if (!(err instanceof AppError)) throw err;
        return portalPage(
          reply,
          err.status,
          'That did not work',
          `<h1>That did not work</h1><p>${esc(err.message)}</p><p><a href="/portal">Back to your purchases</a></p>`,
        );
      }
    },
  );
  r.post(
    '/portal/plan',
    {
      schema: { hide: true, body: z.object({ csrf: token.optional(), grant_id: id, price_id: id }) },
      config: pub,
    },
    (request, reply) =>
      signedInPost(ctx, request, reply, async (s) => {
        const outcome = await portalChangePlan(ctx, s, request.body.grant_id, request.body.price_id);
        return done(reply, outcome === 'changed' ? 'plan_changed' : 'plan_pending');
      }),
  );
}

export function registerPortalRoutes(app: FastifyInstance, ctx: AppContext) {
  void app.register(async (scope) => {
    await scope.register(formbody);
    registerSignIn(scope, ctx);
    registerPortal(scope, ctx);
    registerPlanChange(scope, ctx);
  });
}
