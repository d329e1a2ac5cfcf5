import type { FastifyInstance, FastifyRequest } from 'fastify';
import { readSession } from '../auth.js';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../../app/shared/context.js';
import { healServer } from '../../app/access/heal.js';
import {
  botInstallUrl,
  connectServer,
  listServers,
  loadServer,
  refreshServer,
  serverHealth,
  serverView,
} from '../../app/access/servers.js';
import { AppError } from '../../core/errors.js';
import { forgetServerLists } from '../../app/dashboard/discord-lists.js';
import { discordCall } from '../discord-errors.js';
import { decodeCursor, pageQuery, pageSchema, toPage } from '../pagination.js';
import { idParams, isoString, personCause, requireId } from '../schemas.js';

const tags = ['servers'];
const auth = { auth: 'api_key' as const };

const serverSchema = z.object({
  id: z.string(),
  object: z.literal('server'),
  guild_id: z.string(),
  name: z.string(),
  status: z.string().describe('active | paused | removed'),
  pause_reason: z.string().nullable().describe('Why syncs are paused, and what to fix, in plain words.'),
  paused_at: isoString.nullable(),
  bot_user_id: z.string().nullable(),
  bot_permissions: z.string(),
  bot_top_role_id: z.string().nullable(),
  bot_top_position: z.number(),
  roles_channel_id: z.string().nullable(),
  health_checked_at: isoString.nullable(),
  created_at: isoString.nullable(),
  updated_at: isoString.nullable(),
});

const healthSchema = z.object({
  healthy: z.boolean(),
  status: z.string(),
  pause_reason: z.string().nullable(),
  checked_at: isoString.nullable(),
  roles: z.array(
    z.object({
      role_id: z.string(),
      name: z.string().nullable(),
      grantable: z.boolean(),
      problem: z.object({ code: z.string(), message: z.string() }).nullable(),
    }),
  ),
  gateway: z
    .object({
      status: z.string().describe('connected | no_members_intent | connecting | disconnected | off'),
      member_events: z
        .boolean()
        .describe(
          'true: rejoins and hand-edited roles are repaired at once; false: only by the periodic reconcile',
        ),
      detail: z.string().nullable().describe('Why, and what to do, in plain words.'),
      since: isoString.nullable(),
    })
    .describe('The Discord gateway listener, shared by all instances.'),
});

const serverWithHealth = serverSchema.extend({ health: healthSchema });

/** Who a bot-install state names: the dashboard session (tied to its browser) or the API key. */
const installActor = (request: FastifyRequest) =>
  request.sessionId ? `session:${request.sessionId}` : personCause(request);

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** List and read servers. */
function registerServerReadRoutes(app: FastifyInstance, ctx: AppContext) {
  const r = app.withTypeProvider<ZodTypeProvider>();

  const withHealth = async (id: string) => ({
    ...serverView(await loadServer(ctx.db.kysely, id)),
    health: await serverHealth(ctx, id),
  });

  r.get(
    '/api/servers',
    {
      config: auth,
      schema: {
        tags,
        summary: 'List connected servers, newest first',
        querystring: z.strictObject(pageQuery),
        response: { 200: pageSchema(serverSchema) },
      },
    },
    async (request) => {
      const { limit, cursor } = request.query;
      const rows = await listServers(ctx.db.kysely, {
        afterId: cursor === undefined ? undefined : decodeCursor(cursor, 'server'),
        limit,
      });
      return toPage(rows, limit, serverView);
    },
  );

  r.get(
    '/api/servers/:id',
    {
      config: auth,
      schema: {
        tags,
        summary: 'A server with its health',
        description: 'For each managed role: grantable, or exactly what to fix in Discord.',
        params: idParams,
        response: { 200: serverWithHealth },
      },
    },
    async (request) => withHealth(requireId('server', 'server', request.params.id)),
  );
}

/** Connect a server and check or refresh it. */
function registerServerConnectRoutes(app: FastifyInstance, ctx: AppContext) {
  const r = app.withTypeProvider<ZodTypeProvider>();

  const withHealth = async (id: string) => ({
    ...serverView(await loadServer(ctx.db.kysely, id)),
    health: await serverHealth(ctx, id),
  });

  r.post(
    '/api/servers/:id/refresh',
    {
      config: auth,
      schema: {
        tags,
        summary: 'Re-read the server from Discord',
        description:
          'Reads the guild, its roles and the bot’s standing again. A paused server whose setup is fixed resumes and re-syncs its waiting members.',
        params: idParams,
        response: { 200: serverWithHealth },
      },
    },
    async (request) => {
      const id = requireId('server', 'server', request.params.id);
      const server = await loadServer(ctx.db.kysely, id);
      if (server.status === 'paused') await healServer(ctx, id);
      else await discordCall(() => refreshServer(ctx, id));
      forgetServerLists(ctx, id);
      return withHealth(id);
    },
  );

  r.get(
    '/api/servers/install-url',
    {
      config: auth,
      schema: {
        tags,
        summary: 'The URL that installs the bot into a server',
        response: { 200: z.object({ url: z.string() }) },
      },
    },
    async (request) => ({ url: await botInstallUrl(ctx, installActor(request)) }),
  );

  r.get(
    '/discord/install',
    { config: auth, schema: { tags, summary: 'Redirect to Discord to install the bot' } },
    async (request, reply) => reply.redirect(await botInstallUrl(ctx, installActor(request)), 302),
  );

  r.get(
    '/discord/install/callback',
    {
      config: { auth: 'public' },
      schema: {
        hide: true,
        querystring: z.object({
          code: z.string().min(1).max(200).optional(),
          state: z.string().min(1).max(2000).optional(),
          error: z.string().max(200).optional(),
          // Ignored on purpose: the server comes from Discord's token response, never the browser.
          guild_id: z.string().max(30).optional(),
          permissions: z.string().max(30).optional(),
        }),
      },
    },
    async (request, reply) => {
      const { code, state, error } = request.query;
      if (error) throw new AppError('bad_request', `The install was cancelled in Discord (${error}).`);
      if (!code || !state)
        throw new AppError('bad_request', 'The install callback needs both code and state.');
      const signedIn = await readSession(ctx, request, reply);
      const server = await discordCall(() => connectServer(ctx, code, state, request.sessionId ?? null));
      // Back to the dashboard when a signed-in admin added the server there.
      if (signedIn) return reply.redirect(`/servers?added=${encodeURIComponent(server.id)}`, 303);
      return reply
        .type('text/html; charset=utf-8')
        .send(
          `<!doctype html><meta charset="utf-8"><title>Rolegate</title><p>Rolegate is connected to <strong>${escapeHtml(server.name)}</strong> (${server.id}). You can close this page.</p>`,
        );
    },
  );
}

/** Connected Discord servers, their health, and the bot-install flow. */
export function registerServerRoutes(app: FastifyInstance, ctx: AppContext) {
  registerServerReadRoutes(app, ctx);
  registerServerConnectRoutes(app, ctx);
}
