import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../../app/shared/context.js';
import { createSession } from '../../app/admin/sessions.js';
import { beginAdminSignIn, completeAdminSignIn } from '../../app/admin/sign-in.js';
import { AppError } from '../../core/errors.js';
import { clearCookie, COOKIES, readSignedCookie, setSignedCookie } from '../cookies.js';
import { escapeHtml, htmlPage } from '../html.js';

/**
 * The browser side of dashboard sign-in (decision 0015): off to Discord, and back. A person reads
 * these, so problems are small HTML pages with a way forward, never JSON.
 */

const inviteToken = z
  .string()
  .regex(/^[\w-]{1,100}$/)
  .optional()
  .catch(undefined);

function problem(reply: Parameters<typeof htmlPage>[0], status: number, message: string) {
  return htmlPage(
    reply,
    status,
    'Not signed in',
    `<h1>Not signed in</h1><p>${escapeHtml(message)}</p><p><a class="button" href="/sign-in">Back to sign-in</a></p>`,
  );
}

export function registerAdminAuthRoutes(app: FastifyInstance, ctx: AppContext) {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get(
    '/auth/discord/sign-in',
    { schema: { hide: true, querystring: z.object({ invite: inviteToken }) }, config: { auth: 'public' } },
    async (request, reply) => {
      let start: ReturnType<typeof beginAdminSignIn>;
      try {
        start = beginAdminSignIn(ctx);
      } catch (err) {
        if (err instanceof AppError) return problem(reply, err.status, err.message);
        throw err;
      }
      const invite = request.query.invite ?? '';
      setSignedCookie(reply, ctx, COOKIES.signIn, `${start.state}~${invite}`);
      return reply.header('cache-control', 'no-store').redirect(start.authorizeUrl, 302);
    },
  );

  r.get(
    '/auth/discord/callback',
    {
      schema: {
        hide: true,
        querystring: z.object({
          code: z.string().min(1).max(500).optional(),
          state: z.string().min(1).max(200).optional(),
          error: z.string().max(200).optional(),
          error_description: z.string().max(500).optional(),
        }),
      },
      config: { auth: 'public' },
    },
    async (request, reply) => {
      const { code, state, error } = request.query;
      const [expected, invite] = (readSignedCookie(request, COOKIES.signIn) ?? '').split('~');
      clearCookie(reply, ctx, COOKIES.signIn);
      if (error) return problem(reply, 400, 'You cancelled on Discord.');
      if (!code || !state || !expected || state !== expected)
        return problem(
          reply,
          400,
          'This sign-in was not started in this browser, or it took longer than 10 minutes. Start again.',
        );
      const outcome = await completeAdminSignIn(ctx, code, invite || null);
      if (outcome.kind === 'refused') return problem(reply, 403, outcome.message);
      const session = await createSession(ctx, outcome.adminId, {
        userAgent: request.headers['user-agent'],
        ip: request.ip,
      });
      setSignedCookie(reply, ctx, COOKIES.session, session.token);
      request.log.info({ adminId: outcome.adminId, sessionId: session.id }, 'admin signed in');
      return reply.header('cache-control', 'no-store').redirect(outcome.firstAdmin ? '/setup' : '/', 303);
    },
  );
}
