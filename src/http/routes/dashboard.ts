import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../../app/shared/context.js';
import { currentAlerts } from '../../app/dashboard/alerts.js';
import { overview, OVERVIEW_DAYS } from '../../app/dashboard/overview.js';
import { isoString } from '../schemas.js';

const auth = { auth: 'api_key' as const };

export const alertSchema = z.object({
  id: z.string().describe('Stable while the problem lasts, e.g. `server_paused:srv_…`.'),
  kind: z.enum([
    'server_paused',
    'server_removed',
    'grants_failed',
    'jobs_dead',
    'webhook_endpoint_disabled',
  ]),
  severity: z.enum(['critical', 'warning']),
  title: z.string(),
  message: z.string().describe('What is wrong, in plain words.'),
  fix: z.string().describe('What to do about it.'),
  since: isoString.nullable(),
  count: z.number().int().describe('How many grants or jobs it covers.'),
  server_id: z.string().nullable(),
  webhook_endpoint_id: z.string().nullable(),
});

const overviewSchema = z.object({
  generated_at: isoString,
  active_members: z.number().int().describe('Grants that confer access now.'),
  entitlements: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      archived: z.boolean(),
      server: z.object({ id: z.string(), name: z.string() }),
      active_members: z.number().int(),
    }),
  ),
  mrr: z
    .array(z.object({ currency: z.string(), amount: z.number().int(), subscriptions: z.number().int() }))
    .describe(
      'Monthly recurring revenue per currency, in minor units: renewing subscriptions (not trialing, not set to cancel), each price normalised to a month (a yearly price counts a twelfth).',
    ),
  last_30_days: z.object({
    new: z.number().int(),
    lost: z.number().int(),
    days: z
      .array(z.object({ date: z.string(), new: z.number().int(), lost: z.number().int() }))
      .describe(
        `${OVERVIEW_DAYS} UTC days, oldest first: grants that first conferred access that day, and grants that had access and ended.`,
      ),
  }),
  attention: z.object({ critical: z.number().int(), alerts: z.array(alertSchema).describe('The first 10.') }),
});

/** The dashboard's home: the overview and the alerts. */
export function registerDashboardRoutes(app: FastifyInstance, ctx: AppContext) {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get(
    '/api/alerts',
    {
      config: auth,
      schema: {
        tags: ['dashboard'],
        summary: 'What needs attention now',
        description:
          'A paused server, a server the bot was removed from, grants failing on something the merchant must fix, dead jobs, disabled webhook endpoints. Computed from the current state: a fixed problem disappears.',
        querystring: z.strictObject({}),
        response: { 200: z.object({ data: z.array(alertSchema) }) },
      },
    },
    async () => ({ data: await currentAlerts(ctx) }),
  );

  r.get(
    '/api/overview',
    {
      config: auth,
      schema: {
        tags: ['dashboard'],
        summary: 'Members, MRR, new and lost per day, what needs attention',
        querystring: z.strictObject({}),
        response: { 200: overviewSchema },
      },
    },
    async () => overview(ctx),
  );
}
