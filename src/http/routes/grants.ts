import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../../app/shared/context.js';
import {
  createManualGrant,
  extendGrant,
  getGrantWithSyncLog,
  grantDetailView,
  listGrants,
  resendInvitation,
  retryGrant,
  revokeGrant,
} from '../../app/grants/commands.js';
import { grantStatuses } from '../../core/grant-state.js';
import { revokeBillingChoices, revokeBillingStatuses } from '../../core/revoke-billing.js';
import { decodeCursor, pageQuery, pageSchema, toPage } from '../pagination.js';
import {
  idOf,
  idParams,
  isoDateTime,
  isoString,
  personCause,
  requireId,
  snowflake,
  text,
} from '../schemas.js';

export const grantSchema = z.object({
  id: z.string(),
  object: z.literal('entitlement_grant'),
  entitlement_id: z.string(),
  customer_id: z.string(),
  server_id: z.string(),
  status: z.enum(grantStatuses),
  active: z.boolean().describe('Whether the grant confers access now; status tracks delivery.'),
  source: z.string().describe('checkout | subscription | payment | manual | comp'),
  price_id: z.string().nullable(),
  stripe_checkout_session_id: z.string().nullable(),
  stripe_subscription_id: z.string().nullable(),
  stripe_status: z.string().nullable(),
  starts_at: isoString.nullable(),
  ends_at: isoString.nullable(),
  grace_ends_at: isoString.nullable(),
  granted_role_ids: z.array(z.string()),
  last_error: z
    .object({ code: z.string(), message: z.string().nullable(), owner: z.string() })
    .nullable()
    .describe('The last delivery error and who must act: retry, merchant, customer or bug.'),
  status_reason: z
    .string()
    .nullable()
    .describe('Why the status is what it is (for a revoke: the reason given).'),
  revoke_billing: z
    .enum(revokeBillingChoices)
    .nullable()
    .describe(
      'What the person who revoked the grant chose for its Stripe billing; null when not revoked by a person, or when Stripe has nothing to charge for it.',
    ),
  revoke_billing_status: z
    .enum(revokeBillingStatuses)
    .nullable()
    .describe('pending: the Stripe call is queued or retrying; done; failed: change it by hand in Stripe.'),
  revoke_billing_error: z.string().nullable().describe('The last Stripe error of the billing change.'),
  stripe_cancel_at: isoString
    .nullable()
    .describe('When the Stripe subscription ends (a scheduled cancel) or ended; null while it renews.'),
  note: z.string().nullable(),
  claim_code: z.string().nullable().describe('One-time code for `/claim CODE` in the server.'),
  created_at: isoString.nullable(),
  updated_at: isoString.nullable(),
  delivered_at: isoString.nullable(),
  revoked_at: isoString.nullable(),
});

const grantWithLogSchema = grantSchema.extend({
  sync_log: z.array(
    z.object({
      action: z.string(),
      role_id: z.string().nullable(),
      outcome: z.string(),
      error_code: z.string().nullable(),
      error_owner: z.string().nullable(),
      message: z.string().nullable(),
      cause: z.string(),
      discord_user_id: z.string().nullable().describe('Null for a billing entry of a buyer without Discord.'),
      created_at: isoString,
    }),
  ),
});

const listQuery = z.strictObject({
  status: z.enum(grantStatuses).optional(),
  entitlement_id: idOf('entitlement', 'ent_…').optional(),
  customer_id: idOf('customer', 'cus_…').optional(),
  server_id: idOf('server', 'srv_…').optional(),
  ...pageQuery,
});

const days = z.number().int().min(1).max(36_500);

const createBody = z.strictObject({
  entitlement_id: idOf('entitlement', 'ent_…'),
  customer_id: idOf('customer', 'cus_…').optional().describe('An existing customer …'),
  email: z.email().max(254).optional().describe('… or find/create the customer by email …'),
  discord_user_id: snowflake.optional().describe('… and/or by Discord account.'),
  ends_at: isoDateTime.optional().describe('When access ends; default: the entitlement’s duration.'),
  days: days.optional().describe('Access for this many days from now (instead of ends_at).'),
  note: text(500).optional(),
  source: z.enum(['manual', 'comp']).default('manual'),
});

// Fastify hands a missing body over as null.
const revokeBody = z
  .strictObject({
    reason: text(500, 1).optional(),
    billing: z
      .enum(revokeBillingChoices)
      .optional()
      .describe(
        'What happens to the Stripe billing. Default `cancel_now`: the subscription is canceled at once, without proration or refund (refund in Stripe if you want to), or an unpaid checkout is expired. `cancel_at_period_end`: no further charge; the paid period runs out. `keep_billing`: Stripe is not touched and keeps charging. A grant Stripe cannot charge for (manual, comp, paid one-time) accepts only the default; anything else is a 422.',
      ),
  })
  .nullish();
const extendBody = z.strictObject({
  ends_at: isoDateTime.optional().describe('The new end; must be later than the current end.'),
  days: days.optional().describe('Days added to the current end (or to now, if that end passed).'),
});

const tags = ['grants'];
const auth = { auth: 'api_key' as const };
const grantId = (id: string) => requireId('grant', 'grant', id);

/** List and read grants. */
function registerGrantReadRoutes(app: FastifyInstance, ctx: AppContext) {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get(
    '/api/grants',
    {
      config: auth,
      schema: {
        tags,
        summary: 'List grants, newest first',
        querystring: listQuery,
        response: { 200: pageSchema(grantSchema) },
      },
    },
    async (request) => {
      const q = request.query;
      const rows = await listGrants(ctx, {
        status: q.status,
        entitlementId: q.entitlement_id,
        customerId: q.customer_id,
        serverId: q.server_id,
        afterId: q.cursor === undefined ? undefined : decodeCursor(q.cursor, 'grant'),
        limit: q.limit,
      });
      return toPage(rows, q.limit, grantDetailView);
    },
  );

  r.get(
    '/api/grants/:id',
    {
      config: auth,
      schema: {
        tags,
        summary: 'Get a grant with its sync log',
        params: idParams,
        response: { 200: grantWithLogSchema },
      },
    },
    async (request) => getGrantWithSyncLog(ctx, grantId(request.params.id)),
  );
}

/** Manual grants and revoke. */
function registerGrantCreateRoutes(app: FastifyInstance, ctx: AppContext) {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.post(
    '/api/grants',
    {
      config: auth,
      schema: {
        tags,
        summary: 'Create a manual or comp grant',
        description:
          'Gives access without a payment. Name the customer by customer_id, or by email and/or discord_user_id (found or created). A customer without a linked Discord account is emailed an invitation.',
        body: createBody,
        response: { 201: grantSchema },
      },
    },
    async (request, reply) => {
      const b = request.body;
      const grant = await createManualGrant(
        ctx,
        {
          entitlementId: b.entitlement_id,
          customerId: b.customer_id,
          email: b.email,
          discordUserId: b.discord_user_id,
          endsAt: b.ends_at,
          days: b.days,
          note: b.note,
          source: b.source,
        },
        personCause(request),
      );
      return reply.status(201).send(grantDetailView(grant));
    },
  );

  r.post(
    '/api/grants/:id/revoke',
    {
      config: auth,
      schema: {
        tags,
        summary: 'Revoke a grant',
        description:
          'Ends access for good; member sync removes the roles no other live grant gives. By default the Stripe subscription is canceled at once, without proration or refund (`billing`: `cancel_now`); the choice and its progress show on the grant (`revoke_billing`, `revoke_billing_status`), in its sync log and in the `entitlement_grant.revoked` and `.updated` webhooks.',
        params: idParams,
        body: revokeBody,
        response: { 200: grantSchema },
      },
    },
    async (request) =>
      grantDetailView(
        await revokeGrant(
          ctx,
          grantId(request.params.id),
          { reason: request.body?.reason, billing: request.body?.billing },
          personCause(request),
        ),
      ),
  );
}

/** Extend, retry delivery, resend the invitation. */
function registerGrantCommandRoutes(app: FastifyInstance, ctx: AppContext) {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.post(
    '/api/grants/:id/extend',
    {
      config: auth,
      schema: {
        tags,
        summary: 'Extend a grant',
        description: 'Moves the end later (ends_at or days) and reschedules its expiry.',
        params: idParams,
        body: extendBody,
        response: { 200: grantSchema },
      },
    },
    async (request) =>
      grantDetailView(
        await extendGrant(
          ctx,
          grantId(request.params.id),
          { endsAt: request.body.ends_at, days: request.body.days },
          personCause(request),
        ),
      ),
  );

  r.post(
    '/api/grants/:id/retry',
    {
      config: auth,
      schema: {
        tags,
        summary: 'Retry delivery now',
        description: 'Queues the member sync of a failed or pending grant at once.',
        params: idParams,
        response: { 202: grantSchema },
      },
    },
    async (request, reply) =>
      reply
        .status(202)
        .send(grantDetailView(await retryGrant(ctx, grantId(request.params.id), personCause(request)))),
  );

  r.post(
    '/api/grants/:id/resend-invitation',
    {
      config: auth,
      schema: {
        tags,
        summary: 'Resend the invitation email',
        description: "Queues the email with the Connect Discord link and the grant's claim code.",
        params: idParams,
        response: { 202: grantSchema },
      },
    },
    async (request, reply) =>
      reply
        .status(202)
        .send(grantDetailView(await resendInvitation(ctx, grantId(request.params.id), personCause(request)))),
  );
}

/** Grants: one customer's right to one entitlement, and what a person can do about it. */
export function registerGrantRoutes(app: FastifyInstance, ctx: AppContext) {
  registerGrantReadRoutes(app, ctx);
  registerGrantCreateRoutes(app, ctx);
  registerGrantCommandRoutes(app, ctx);
}
