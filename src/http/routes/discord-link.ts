import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../../app/context.js';
import { beginLink, completeLink } from '../../app/discord-link.js';
import { resolveCheckoutLink } from '../../app/interactions.js';
import { AppError } from '../../core/errors.js';

/**
 * Buyer-facing pages: connect a Discord account (OAuth `identify guilds.join`) and the short
 * checkout redirect behind the roles-channel link buttons. A person reads these in a browser, so
 * they answer with small HTML pages, never JSON errors.
 */
const NONCE_COOKIE = 'rolegate_link';

const escapeHtml = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );

function page(reply: FastifyReply, status: number, title: string, message: string) {
  return reply
    .status(status)
    .header('content-type', 'text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .send(
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${escapeHtml(title)}</title></head>` +
        `<body style="font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem"><h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p></body></html>`,
    );
}

function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return decodeURIComponent(v.join('='));
  }
  return undefined;
}

function problemPage(reply: FastifyReply, err: unknown) {
  if (err instanceof AppError) return page(reply, err.status, 'Discord was not connected', err.message);
  throw err;
}

export function registerDiscordLinkRoutes(app: FastifyInstance, ctx: AppContext) {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get(
    '/discord/link',
    {
      schema: { hide: true, querystring: z.object({ grant: z.string().min(1).max(1000) }) },
      config: { auth: 'public' },
    },
    async (request, reply) => {
      try {
        const start = await beginLink(ctx, request.query.grant);
        const secure = ctx.publicUrl.startsWith('https:') ? '; Secure' : '';
        reply.header(
          'set-cookie',
          `${NONCE_COOKIE}=${start.nonce}; Path=/discord/link; Max-Age=600; HttpOnly; SameSite=Lax${secure}`,
        );
        return reply.header('cache-control', 'no-store').redirect(start.authorizeUrl, 302);
      } catch (err) {
        return problemPage(reply, err);
      }
    },
  );

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
        return page(
          reply,
          400,
          'Discord was not connected',
          error === 'access_denied'
            ? 'You cancelled on Discord. Open the link from your email again whenever you are ready.'
            : 'Discord did not send us a sign-in. Open the link from your email again.',
        );
      try {
        const nonce = readCookie(request.headers.cookie, NONCE_COOKIE);
        const result = await completeLink(ctx, { code, state, nonce });
        reply.header('set-cookie', `${NONCE_COOKIE}=; Path=/discord/link; Max-Age=0; HttpOnly; SameSite=Lax`);
        return page(
          reply,
          200,
          'Discord connected',
          `Connected as ${result.username}. Your roles are on their way; you can close this page.`,
        );
      } catch (err) {
        return problemPage(reply, err);
      }
    },
  );

  r.get(
    '/c/:token',
    {
      schema: { hide: true, params: z.object({ token: z.string().regex(/^[\w-]{10,64}$/) }) },
      config: { auth: 'public' },
    },
    async (request, reply) => {
      const url = await resolveCheckoutLink(ctx, request.params.token);
      if (!url)
        return page(
          reply,
          404,
          'This checkout link has expired',
          'Click the button in the Discord roles channel again to get a fresh link.',
        );
      return reply.header('cache-control', 'no-store').redirect(url, 302);
    },
  );
}
