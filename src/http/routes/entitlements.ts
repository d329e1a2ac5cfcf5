import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../../app/shared/context.js';
import {
  archiveEntitlement,
  restoreEntitlement,
  createEntitlement,
  getEntitlement,
  listEntitlements,
  updateEntitlement,
} from '../../app/catalog/entitlements.js';
import {
  accessKinds,
  disputePolicies,
  partialRefundPolicies,
  priceIntervals,
  revokeActions,
} from '../../app/catalog/entitlement-fields.js';
import { decodeCursor, pageQuery, pageSchema, toPage } from '../pagination.js';
import {
  idOf,
  idParams,
  isoDateTime,
  isoString,
  personCause,
  queryBoolean,
  requireId,
  snowflake,
  text,
} from '../schemas.js';

const currencies = new Set(Intl.supportedValuesOf('currency').map((c) => c.toLowerCase()));

const currency = z
  .string()
  .regex(/^[A-Za-z]{3}$/, 'must be a 3-letter ISO 4217 code such as "usd"')
  .transform((c) => c.toLowerCase())
  .refine((c) => currencies.has(c), 'is not an ISO 4217 currency code');

// Stripe's ceiling for one amount is 8 digits of minor units.
const amount = z
  .number()
  .int('must be a whole number of minor units (cents), not a fraction')
  .min(1, 'must be greater than 0')
  .max(99_999_999, 'must be at most 99999999 minor units');

const priceInput = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('one_time'), amount, currency }),
  z.strictObject({
    kind: z.literal('recurring'),
    amount,
    currency,
    interval: z.enum(priceIntervals),
    interval_count: z.number().int().min(1).max(365).default(1),
  }),
]);

const accessInput = z
  .strictObject({
    kind: z.enum(accessKinds),
    days: z.number().int().min(1).max(36_500).nullable().optional().describe('Required for kind "days".'),
  })
  .describe('How long a purchase lasts: as long as the subscription, N days, or for life.');

/** Every editable field, without defaults (PATCH); POST adds the defaults. */
const editable = {
  name: text(100, 1),
  description: text(1000),
  role_ids: z
    .array(snowflake)
    .max(25)
    .describe('Roles to give; empty = membership of the server only. Each must be grantable by the bot.'),
  prices: z.array(priceInput).max(20),
  access: accessInput,
  trial_days: z.number().int().min(0).max(730),
  sale_ends_at: isoDateTime.nullable().describe('After this time the entitlement is no longer sold.'),
  revoke_action: z.enum(revokeActions).describe('What happens to the member when access ends.'),
  fallback_role_id: snowflake.nullable().describe('The role given instead when revoke_action is "swap".'),
  grace_days: z.number().int().min(0).max(60).describe('Days a past-due subscription keeps access.'),
  enforce_roles: z.boolean().describe('Reconcile removes these roles from members without a live grant.'),
  partial_refund_policy: z.enum(partialRefundPolicies),
  dispute_policy: z.enum(disputePolicies),
  restore_on_dispute_won: z.boolean(),
};

const createBody = z.strictObject({
  server_id: idOf('server', 'srv_…'),
  ...editable,
  description: editable.description.default(''),
  role_ids: editable.role_ids.default([]),
  prices: editable.prices.default([]),
  trial_days: editable.trial_days.default(0),
  sale_ends_at: editable.sale_ends_at.default(null),
  revoke_action: editable.revoke_action.default('remove_roles'),
  fallback_role_id: editable.fallback_role_id.default(null),
  grace_days: editable.grace_days.default(3),
  enforce_roles: editable.enforce_roles.default(false),
  partial_refund_policy: editable.partial_refund_policy.default('keep'),
  dispute_policy: editable.dispute_policy.default('revoke'),
  restore_on_dispute_won: editable.restore_on_dispute_won.default(true),
});

const patchBody = z.strictObject({
  name: editable.name.optional(),
  description: editable.description.optional(),
  role_ids: editable.role_ids.optional(),
  prices: editable.prices.optional().describe('Replaces the active prices; unchanged prices keep their ids.'),
  access: editable.access.optional(),
  trial_days: editable.trial_days.optional(),
  sale_ends_at: editable.sale_ends_at.optional(),
  revoke_action: editable.revoke_action.optional(),
  fallback_role_id: editable.fallback_role_id.optional(),
  grace_days: editable.grace_days.optional(),
  enforce_roles: editable.enforce_roles.optional(),
  partial_refund_policy: editable.partial_refund_policy.optional(),
  dispute_policy: editable.dispute_policy.optional(),
  restore_on_dispute_won: editable.restore_on_dispute_won.optional(),
});

export const entitlementSchema = z.object({
  id: z.string(),
  object: z.literal('entitlement'),
  server_id: z.string(),
  name: z.string(),
  description: z.string(),
  role_ids: z.array(z.string()),
  prices: z.array(
    z.object({
      id: z.string(),
      kind: z.enum(['one_time', 'recurring']),
      amount: z.number().int(),
      currency: z.string(),
      interval: z.enum(priceIntervals).nullable(),
      interval_count: z.number().int().nullable(),
      stripe_price_id: z.string().nullable(),
    }),
  ),
  access: z.object({ kind: z.enum(accessKinds), days: z.number().int().nullable() }),
  trial_days: z.number().int(),
  sale_ends_at: isoString.nullable(),
  revoke_action: z.enum(revokeActions),
  fallback_role_id: z.string().nullable(),
  grace_days: z.number().int(),
  enforce_roles: z.boolean(),
  partial_refund_policy: z.enum(partialRefundPolicies),
  dispute_policy: z.enum(disputePolicies),
  restore_on_dispute_won: z.boolean(),
  archived: z.boolean(),
  archived_at: isoString.nullable(),
  created_at: isoString,
  updated_at: isoString,
});

const listQuery = z.strictObject({
  server_id: idOf('server', 'srv_…').optional(),
  archived: queryBoolean.optional().describe('true: only archived; false: only on sale; omit: both.'),
  ...pageQuery,
});

const tags = ['entitlements'];
const auth = { auth: 'api_key' as const };

/** Create, list and read entitlements. */
function registerEntitlementReadRoutes(app: FastifyInstance, ctx: AppContext) {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.post(
    '/api/entitlements',
    {
      config: auth,
      schema: {
        tags,
        summary: 'Create an entitlement',
        description:
          'Roles are checked against the server: @everyone, managed roles, missing roles and roles at or above the bot are refused with 422 role_not_grantable and the fix.',
        body: createBody,
        response: { 201: entitlementSchema },
      },
    },
    async (request, reply) => reply.status(201).send(await createEntitlement(ctx, request.body)),
  );

  r.get(
    '/api/entitlements',
    {
      config: auth,
      schema: {
        tags,
        summary: 'List entitlements, newest first',
        querystring: listQuery,
        response: { 200: pageSchema(entitlementSchema) },
      },
    },
    async (request) => {
      const q = request.query;
      const { rows, view } = await listEntitlements(ctx, {
        serverId: q.server_id,
        archived: q.archived,
        afterId: q.cursor === undefined ? undefined : decodeCursor(q.cursor, 'entitlement'),
        limit: q.limit,
      });
      return toPage(rows, q.limit, view);
    },
  );

  r.get(
    '/api/entitlements/:id',
    {
      config: auth,
      schema: {
        tags,
        summary: 'Get an entitlement',
        params: idParams,
        response: { 200: entitlementSchema },
      },
    },
    async (request) => getEntitlement(ctx, requireId('entitlement', 'entitlement', request.params.id)),
  );
}

/** Change or archive an entitlement. */
function registerEntitlementChangeRoutes(app: FastifyInstance, ctx: AppContext) {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.patch(
    '/api/entitlements/:id',
    {
      config: auth,
      schema: {
        tags,
        summary: 'Update an entitlement',
        description:
          'Only the fields given change. Changing role_ids re-syncs every member holding a live grant: added roles are given, removed roles taken away.',
        params: idParams,
        body: patchBody,
        response: { 200: entitlementSchema },
      },
    },
    async (request) =>
      updateEntitlement(
        ctx,
        requireId('entitlement', 'entitlement', request.params.id),
        request.body,
        personCause(request),
      ),
  );

  r.post(
    '/api/entitlements/:id/archive',
    {
      config: auth,
      schema: {
        tags,
        summary: 'Archive an entitlement',
        description: 'Stops selling it; existing grants run on. Archiving twice is harmless.',
        params: idParams,
        response: { 200: entitlementSchema },
      },
    },
    async (request) => archiveEntitlement(ctx, requireId('entitlement', 'entitlement', request.params.id)),
  );

  r.post(
    '/api/entitlements/:id/restore',
    {
      config: auth,
      schema: {
        tags,
        summary: 'Restore an archived entitlement',
        description:
          'Puts it on sale again (its offer link, the roles channel and plan moves to it work again). Restoring one on sale is harmless.',
        params: idParams,
        response: { 200: entitlementSchema },
      },
    },
    async (request) => restoreEntitlement(ctx, requireId('entitlement', 'entitlement', request.params.id)),
  );
}

/** Entitlements: what is for sale on a server (roles, prices, duration, revoke policy). */
export function registerEntitlementRoutes(app: FastifyInstance, ctx: AppContext) {
  registerEntitlementReadRoutes(app, ctx);
  registerEntitlementChangeRoutes(app, ctx);
}
