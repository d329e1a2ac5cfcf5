import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../../app/shared/context.js';
import { subscriberStatuses } from '../../app/dashboard/store/subscribers.js';
import { listSubscribers, subscribersCsv, subscriberView } from '../../app/dashboard/subscribers.js';
import { subscriberDetail } from '../../app/dashboard/subscriber-detail.js';
import { decodeCursor, pageQuery, pageSchema, toPage } from '../pagination.js';
import { idOf, idParams, isoString, requireId, text } from '../schemas.js';

const tags = ['subscribers'];
const auth = { auth: 'api_key' as const };

const filters = {
  entitlement_id: idOf('entitlement', 'ent_…').optional(),
  server_id: idOf('server', 'srv_…').optional(),
  customer_id: idOf('customer', 'cus_…').optional(),
  status: z
    .enum(subscriberStatuses)
    .optional()
    .describe(
      'Without it, every subscriber but unfinished checkouts (`checkout_open`: still open, or replaced or expired before any payment).',
    ),
  q: text(100, 1)
    .optional()
    .describe('Search: part of an email, name or Discord username (any case), or a Discord user id.'),
};

const statusSchema = z.object({
  code: z.enum(subscriberStatuses),
  label: z.string().describe('The status in words, e.g. "Invitation sent — not yet linked".'),
  detail: z.string().nullable().describe('Why, and what happens next.'),
  who_acts: z
    .enum(['merchant', 'buyer', 'retrying', 'support'])
    .nullable()
    .describe('Who must act: you, the buyer, nobody (Rolegate retries), or support (an unexpected error).'),
});

export const subscriberSchema = z.object({
  id: z.string().describe('The grant id: actions are the `/api/grants/:id/…` routes.'),
  object: z.literal('subscriber'),
  status: statusSchema,
  grant_status: z.string(),
  active: z.boolean(),
  customer: z.object({
    id: z.string(),
    email: z.string().nullable(),
    name: z.string().nullable(),
    discord_user_id: z.string().nullable(),
    discord_username: z.string().nullable(),
  }),
  entitlement: z.object({ id: z.string(), name: z.string() }),
  server: z.object({ id: z.string(), name: z.string() }),
  source: z.string(),
  stripe_customer_id: z.string().nullable(),
  stripe_subscription_id: z.string().nullable(),
  starts_at: isoString.nullable(),
  ends_at: isoString.nullable(),
  grace_ends_at: isoString.nullable(),
  created_at: isoString.nullable(),
  delivered_at: isoString.nullable(),
  revoked_at: isoString.nullable(),
});

const detailSchema = subscriberSchema.extend({
  status_reason: z.string().nullable(),
  last_error: z
    .object({ code: z.string(), message: z.string().nullable(), owner: z.string().nullable() })
    .nullable(),
  stripe_links: z.object({
    customer: z.string().nullable(),
    subscription: z.string().nullable(),
    payments: z.array(z.object({ id: z.string(), url: z.string() })),
  }),
  timeline: z.array(
    z.object({
      at: isoString,
      kind: z.string(),
      outcome: z.enum(['ok', 'failed', 'skipped', 'info']),
      text: z.string(),
      error: z.object({ code: z.string(), owner: z.string().nullable() }).nullable(),
      cause: z.string().nullable(),
    }),
  ),
});

const filterOf = (q: {
  entitlement_id?: string | undefined;
  server_id?: string | undefined;
  customer_id?: string | undefined;
  status?: (typeof subscriberStatuses)[number] | undefined;
  q?: string | undefined;
}) => ({
  entitlementId: q.entitlement_id,
  serverId: q.server_id,
  customerId: q.customer_id,
  status: q.status,
  search: q.q,
});

/** Subscribers: everyone holding (or who held) an entitlement, across servers. */
export function registerSubscriberRoutes(app: FastifyInstance, ctx: AppContext) {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get(
    '/api/subscribers',
    {
      config: auth,
      schema: {
        tags,
        summary: 'List subscribers, newest first',
        description:
          'One row per grant, across entitlements and servers, with the status in words and who must act. Filter and search; `/api/subscribers.csv` exports the same list.',
        querystring: z.strictObject({ ...filters, ...pageQuery }),
        response: { 200: pageSchema(subscriberSchema) },
      },
    },
    async (request) => {
      const q = request.query;
      const rows = await listSubscribers(ctx, {
        ...filterOf(q),
        afterId: q.cursor === undefined ? undefined : decodeCursor(q.cursor, 'grant'),
        limit: q.limit,
      });
      return toPage(rows, q.limit, subscriberView);
    },
  );

  r.get(
    '/api/subscribers.csv',
    {
      config: auth,
      schema: {
        tags,
        summary: 'Export subscribers as CSV',
        description: 'Same filters as the list; every matching row (up to 100 000), newest first.',
        querystring: z.strictObject(filters),
        produces: ['text/csv'],
      },
    },
    async (request, reply) => {
      const csv = await subscribersCsv(ctx, filterOf(request.query));
      const stamp = new Date(ctx.clock.now()).toISOString().slice(0, 10);
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="subscribers-${stamp}.csv"`)
        .send(csv);
    },
  );

  r.get(
    '/api/subscribers/:id',
    {
      config: auth,
      schema: {
        tags,
        summary: 'A subscriber with their timeline and Stripe links',
        params: idParams,
        response: { 200: detailSchema },
      },
    },
    async (request) => subscriberDetail(ctx, requireId('grant', 'subscriber', request.params.id)),
  );
}
