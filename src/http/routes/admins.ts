import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../../app/shared/context.js';
import {
  createInvitation,
  listAdmins,
  listInvitations,
  loadAdmin,
  removeAdmin,
  revokeInvitation,
} from '../../app/admin/admins.js';
import { csrfTokenFor, listSessions, revokeOtherSessions, revokeSession } from '../../app/admin/sessions.js';
import { AppError } from '../../core/errors.js';
import { clearCookie, COOKIES } from '../cookies.js';
import { idParams, isoString, requireId } from '../schemas.js';

/** The signed-in admin, their sessions, the other admins and their invitations (decision 0015). */

const tags = ['admins'];
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

const adminSchema = z.object({
  id: z.string(),
  object: z.literal('admin'),
  discord_user_id: z.string(),
  username: z.string(),
  invited_by: z.string().nullable().describe('The admin who invited them; null for the first admin.'),
  created_at: isoString,
  last_sign_in_at: isoString.nullable(),
});
type AdminRow = Awaited<ReturnType<typeof listAdmins>>[number];
const adminView = (a: AdminRow) => ({
  id: a.id,
  object: 'admin' as const,
  discord_user_id: a.discord_user_id,
  username: a.username,
  invited_by: a.invited_by,
  created_at: iso(a.created_at)!,
  last_sign_in_at: iso(a.last_sign_in_at),
});

const sessionSchema = z.object({
  id: z.string(),
  object: z.literal('session'),
  current: z.boolean().describe('The session this request was made with.'),
  user_agent: z.string().nullable(),
  ip: z.string().nullable(),
  created_at: isoString,
  last_seen_at: isoString,
  expires_at: isoString,
});

const invitationSchema = z.object({
  id: z.string(),
  object: z.literal('admin_invitation'),
  created_by: z.string().nullable(),
  created_at: isoString,
  expires_at: isoString,
});

/** The session of a session-only route; an API key has none (403). */
function signedIn(request: FastifyRequest) {
  if (!request.adminId || !request.sessionId)
    throw new AppError('forbidden', 'this route is for a signed-in dashboard session, not an API key');
  return { adminId: request.adminId, sessionId: request.sessionId };
}

/** Who is signed in, and signing out. */
function registerOwnSessionRoutes(app: FastifyInstance, ctx: AppContext) {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get(
    '/api/session',
    {
      config: { auth: 'session' },
      schema: {
        tags,
        summary: 'The signed-in admin and the CSRF token of this session',
        description:
          'Dashboard sessions only. Send `csrf_token` as the `X-CSRF-Token` header on every write made with the session cookie.',
        response: {
          200: z.object({ admin: adminSchema, session_id: z.string(), csrf_token: z.string() }),
        },
      },
    },
    async (request) => {
      const { adminId, sessionId } = signedIn(request);
      return {
        admin: adminView(await loadAdmin(ctx, adminId)),
        session_id: sessionId,
        csrf_token: csrfTokenFor(ctx, sessionId),
      };
    },
  );

  r.post(
    '/api/session/sign-out',
    {
      config: { auth: 'session' },
      schema: {
        tags,
        summary: 'Sign out (end this session)',
        response: { 200: z.object({ ok: z.literal(true) }) },
      },
    },
    async (request, reply) => {
      const { adminId, sessionId } = signedIn(request);
      await revokeSession(ctx, adminId, sessionId);
      clearCookie(reply, ctx, COOKIES.session);
      return { ok: true as const };
    },
  );
}

/** The signed-in admin's sessions. */
function registerSessionListRoutes(app: FastifyInstance, ctx: AppContext) {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get(
    '/api/sessions',
    {
      config: { auth: 'session' },
      schema: {
        tags,
        summary: "The signed-in admin's live sessions, newest first",
        response: { 200: z.object({ data: z.array(sessionSchema) }) },
      },
    },
    async (request) => {
      const { adminId, sessionId } = signedIn(request);
      const rows = await listSessions(ctx, adminId);
      return {
        data: rows.map((s) => ({
          id: s.id,
          object: 'session' as const,
          current: s.id === sessionId,
          user_agent: s.user_agent,
          ip: s.ip,
          created_at: iso(s.created_at)!,
          last_seen_at: iso(s.last_seen_at)!,
          expires_at: iso(s.expires_at)!,
        })),
      };
    },
  );

  r.delete(
    '/api/sessions/:id',
    {
      config: { auth: 'session' },
      schema: {
        tags,
        summary: 'End one of your sessions (another browser)',
        params: idParams,
        response: {
          200: z.object({ id: z.string(), object: z.literal('session'), revoked: z.literal(true) }),
        },
      },
    },
    async (request, reply) => {
      const { adminId, sessionId } = signedIn(request);
      const id = requireId('adminSession', 'session', request.params.id);
      if (!(await revokeSession(ctx, adminId, id)))
        throw new AppError('not_found', `session ${id} does not exist`);
      if (id === sessionId) clearCookie(reply, ctx, COOKIES.session);
      return { id, object: 'session' as const, revoked: true as const };
    },
  );

  r.post(
    '/api/sessions/revoke-others',
    {
      config: { auth: 'session' },
      schema: {
        tags,
        summary: 'End every session of yours except this one',
        response: { 200: z.object({ revoked: z.number() }) },
      },
    },
    async (request) => {
      const { adminId, sessionId } = signedIn(request);
      return { revoked: await revokeOtherSessions(ctx, adminId, sessionId) };
    },
  );
}

function registerSessionRoutes(app: FastifyInstance, ctx: AppContext) {
  registerOwnSessionRoutes(app, ctx);
  registerSessionListRoutes(app, ctx);
}

/** The admins. */
function registerAdminPeopleRoutes(app: FastifyInstance, ctx: AppContext) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const auth = { auth: 'api_key' as const };

  r.get(
    '/api/admins',
    {
      config: auth,
      schema: {
        tags,
        summary: 'Who may administer this Rolegate',
        response: { 200: z.object({ data: z.array(adminSchema) }) },
      },
    },
    async () => ({ data: (await listAdmins(ctx)).map(adminView) }),
  );

  r.delete(
    '/api/admins/:id',
    {
      config: auth,
      schema: {
        tags,
        summary: 'Remove an admin (their sessions end); the last admin cannot be removed',
        params: idParams,
        response: { 200: z.object({ id: z.string(), object: z.literal('admin'), removed: z.literal(true) }) },
      },
    },
    async (request) => {
      const id = requireId('admin', 'admin', request.params.id);
      await removeAdmin(ctx, id);
      return { id, object: 'admin' as const, removed: true as const };
    },
  );
}

/** Invitations to become an admin. */
function registerInvitationRoutes(app: FastifyInstance, ctx: AppContext) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const auth = { auth: 'api_key' as const };

  r.get(
    '/api/admin-invitations',
    {
      config: auth,
      schema: {
        tags,
        summary: 'Pending admin invitations (not used, revoked or expired)',
        response: { 200: z.object({ data: z.array(invitationSchema) }) },
      },
    },
    async () => ({
      data: (await listInvitations(ctx)).map((i) => ({
        id: i.id,
        object: 'admin_invitation' as const,
        created_by: i.created_by,
        created_at: iso(i.created_at)!,
        expires_at: iso(i.expires_at)!,
      })),
    }),
  );

  r.post(
    '/api/admin-invitations',
    {
      config: auth,
      schema: {
        tags,
        summary: 'Invite an admin: a one-time sign-in link (shown once, valid 7 days)',
        description: 'Whoever signs in with Discord through the link becomes an admin.',
        response: { 201: invitationSchema.extend({ url: z.string() }) },
      },
    },
    async (request, reply) => {
      const by = request.adminId ?? request.apiKeyId ?? null;
      const inv = await createInvitation(ctx, by);
      return reply.status(201).send({
        id: inv.id,
        object: 'admin_invitation' as const,
        created_by: by,
        created_at: iso(ctx.clock.now())!,
        expires_at: iso(inv.expires_at)!,
        url: inv.url,
      });
    },
  );

  r.delete(
    '/api/admin-invitations/:id',
    {
      config: auth,
      schema: {
        tags,
        summary: 'Revoke a pending invitation',
        params: idParams,
        response: {
          200: z.object({ id: z.string(), object: z.literal('admin_invitation'), revoked: z.literal(true) }),
        },
      },
    },
    async (request) => {
      const id = requireId('adminInvitation', 'admin invitation', request.params.id);
      if (!(await revokeInvitation(ctx, id)))
        throw new AppError('not_found', `admin invitation ${id} does not exist or is no longer pending`);
      return { id, object: 'admin_invitation' as const, revoked: true as const };
    },
  );
}

function registerAdminListRoutes(app: FastifyInstance, ctx: AppContext) {
  registerAdminPeopleRoutes(app, ctx);
  registerInvitationRoutes(app, ctx);
}

export function registerAdminRoutes(app: FastifyInstance, ctx: AppContext) {
  registerSessionRoutes(app, ctx);
  registerAdminListRoutes(app, ctx);
}
