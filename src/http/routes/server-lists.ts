import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../../app/shared/context.js';
import { LIST_CACHE_MS, liveChannels, liveRoles } from '../../app/dashboard/discord-lists.js';
import { discordCall } from '../discord-errors.js';
import { idParams, isoString, queryBoolean, requireId } from '../schemas.js';

const tags = ['servers'];
const auth = { auth: 'api_key' as const };

const listQuery = z.strictObject({
  refresh: queryBoolean
    .optional()
    .describe(
      `\`true\` reads Discord now; otherwise a list read in the last ${LIST_CACHE_MS / 1000} s is reused.`,
    ),
});

const problem = z.object({ code: z.string(), message: z.string() }).nullable();

const rolesSchema = z.object({
  server_id: z.string(),
  fetched_at: isoString,
  bot: z.object({
    top_role_id: z.string().nullable().describe('The bot’s highest role: it can give only roles below it.'),
    top_role_name: z.string().nullable(),
    manage_roles: z.boolean().describe('Whether the bot has Manage Roles (or Administrator).'),
  }),
  data: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      position: z.number().int(),
      managed: z.boolean().describe('Owned by an integration (a bot, boosts, a linked app).'),
      grantable: z.boolean(),
      problem: problem.describe('Why the bot cannot give this role, and the fix, in plain words.'),
    }),
  ),
});

const channelsSchema = z.object({
  server_id: z.string(),
  fetched_at: isoString,
  data: z.array(
    z.object({
      id: z.string(),
      name: z.string().nullable(),
      type: z.number().int().describe('Discord channel type: 0 text, 2 voice, 4 category, 5 announcement, …'),
      can_hold_roles_message: z.boolean(),
    }),
  ),
});

/** Live role and channel lists of a connected server, for pickers. */
export function registerServerListRoutes(app: FastifyInstance, ctx: AppContext) {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get(
    '/api/servers/:id/roles',
    {
      config: auth,
      schema: {
        tags,
        summary: 'The server’s roles, live from Discord',
        description:
          'Highest first. Each role says whether the bot can give it and, if not, why: @everyone, managed by an integration, above the bot’s highest role, or the bot lacks Manage Roles.',
        params: idParams,
        querystring: listQuery,
        response: { 200: rolesSchema },
      },
    },
    async (request) => {
      const id = requireId('server', 'server', request.params.id);
      return discordCall(() => liveRoles(ctx, id, request.query.refresh ?? false));
    },
  );

  r.get(
    '/api/servers/:id/channels',
    {
      config: auth,
      schema: {
        tags,
        summary: 'The server’s channels, live from Discord',
        description: 'Pick one that can hold the roles message for `PUT /api/servers/:id/roles-channel`.',
        params: idParams,
        querystring: listQuery,
        response: { 200: channelsSchema },
      },
    },
    async (request) => {
      const id = requireId('server', 'server', request.params.id);
      return discordCall(() => liveChannels(ctx, id, request.query.refresh ?? false));
    },
  );
}
