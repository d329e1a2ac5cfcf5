import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../../app/shared/context.js';
import { inTransaction } from '../../app/shared/context.js';
import {
  enqueueRolesChannelPublish,
  rolesChannelView,
  setRolesChannel,
} from '../../app/buyer/roles-channel.js';

const rolesChannel = z.object({
  server_id: z.string(),
  channel_id: z.string().nullable(),
  message_id: z.string().nullable(),
  problem: z.string().nullable().describe('What the merchant must fix for the roles message to be posted'),
  published_at: z.string().nullable(),
});
const params = z.object({ id: z.string().min(1).max(64) });

/** The roles channel of a server: which channel, its one message, and any problem posting it. */
export function registerRolesChannelRoutes(app: FastifyInstance, ctx: AppContext) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get(
    '/api/servers/:id/roles-channel',
    {
      schema: {
        tags: ['servers'],
        summary: 'Show the roles channel',
        params,
        response: { 200: rolesChannel },
      },
      config: { auth: 'api_key' },
    },
    async (request) => rolesChannelView(ctx, request.params.id),
  );
  r.put(
    '/api/servers/:id/roles-channel',
    {
      schema: {
        tags: ['servers'],
        summary: 'Pick the channel for the roles message',
        description:
          'The message listing what is for sale (with a buy button each) is posted there and kept up to date. Without a pick, Rolegate creates a #roles channel (the bot then needs Manage Channels).',
        params,
        body: z.object({ channel_id: z.string().regex(/^\d{5,25}$/, 'must be a Discord channel id') }),
        response: { 200: rolesChannel },
      },
      config: { auth: 'api_key' },
    },
    async (request) => setRolesChannel(ctx, request.params.id, request.body.channel_id),
  );
  r.post(
    '/api/servers/:id/roles-channel/publish',
    {
      schema: {
        tags: ['servers'],
        summary: 'Post or refresh the roles message now',
        params,
        response: { 202: rolesChannel },
      },
      config: { auth: 'api_key' },
    },
    async (request, reply) => {
      const view = await rolesChannelView(ctx, request.params.id);
      await inTransaction(ctx, (tx) => enqueueRolesChannelPublish(tx, request.params.id, true));
      return reply.status(202).send(view);
    },
  );
}
