import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../../app/shared/context.js';
import { webhookEventTypes } from '../../app/webhooks/events.js';
import {
  createEndpoint,
  deleteEndpoint,
  endpointView,
  getEndpoint,
  getEndpointSecret,
  listDeliveries,
  listEndpoints,
  resendDelivery,
  sendTestEvent,
  updateEndpoint,
} from '../../app/webhooks/endpoints.js';
import { decodeCursor, pageQuery, pageSchema, toPage } from '../pagination.js';
import { idParams, isoString, requireId, text } from '../schemas.js';

const url = z.string().trim().min(1, 'must not be empty').max(2048, 'must be at most 2048 characters');
const eventTypes = z
  .array(z.enum(webhookEventTypes))
  .max(webhookEventTypes.length * 2)
  .describe('Event types to receive; empty = all.');

const createBody = z.strictObject({
  url: url.describe(
    'Where events are POSTed. https; public addresses only unless the operator allows private.',
  ),
  description: text(500).default(''),
  event_types: eventTypes.default([]),
});

const patchBody = z.strictObject({
  url: url.optional(),
  description: text(500).optional(),
  event_types: eventTypes.optional(),
  enabled: z
    .boolean()
    .optional()
    .describe('true re-enables a disabled endpoint and clears its failure streak.'),
});

const endpointSchema = z.object({
  id: z.string(),
  object: z.literal('webhook_endpoint'),
  url: z.string(),
  description: z.string(),
  event_types: z.array(z.enum(webhookEventTypes)),
  enabled: z.boolean(),
  disabled_reason: z.string().nullable(),
  failing_since: isoString.nullable().describe('Start of the current run of failed attempts.'),
  created_at: isoString,
  updated_at: isoString,
});

const deliverySchema = z.object({
  id: z.string().describe('The `webhook-id` header: the same on every attempt and resend.'),
  object: z.literal('webhook_delivery'),
  endpoint_id: z.string(),
  event_type: z.string(),
  status: z.enum(['pending', 'succeeded', 'failed']),
  payload: z.unknown(),
  attempt_count: z.number().int(),
  next_attempt_at: isoString.nullable(),
  last_status_code: z.number().int().nullable(),
  last_error: z.string().nullable(),
  created_at: isoString,
  updated_at: isoString,
  attempts: z.array(
    z.object({
      attempt: z.number().int(),
      status_code: z.number().int().nullable(),
      duration_ms: z.number().int(),
      response_body: z.string().nullable().describe('The first 2 KB of the response.'),
      error: z.string().nullable(),
      created_at: isoString,
    }),
  ),
});

const tags = ['webhooks'];
const auth = { auth: 'api_key' as const };
const endpointId = (id: string) => requireId('webhookEndpoint', 'webhook endpoint', id);

/** Create, list and read endpoints (and their secret). */
function registerEndpointReadRoutes(app: FastifyInstance, ctx: AppContext) {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.post(
    '/api/webhook-endpoints',
    {
      config: auth,
      schema: {
        tags,
        summary: 'Create a webhook endpoint',
        description:
          'Returns the signing secret (`whsec_…`). Private, loopback, link-local and metadata addresses are refused with 422 unless WEBHOOKS_ALLOW_PRIVATE is set.',
        body: createBody,
        response: { 201: endpointSchema.extend({ secret: z.string() }) },
      },
    },
    async (request, reply) => {
      const b = request.body;
      const created = await createEndpoint(ctx, {
        url: b.url,
        description: b.description,
        eventTypes: b.event_types,
      });
      return reply.status(201).send(created);
    },
  );

  r.get(
    '/api/webhook-endpoints',
    {
      config: auth,
      schema: {
        tags,
        summary: 'List webhook endpoints, newest first',
        querystring: z.strictObject(pageQuery),
        response: { 200: pageSchema(endpointSchema) },
      },
    },
    async (request) => {
      const q = request.query;
      const afterId = q.cursor === undefined ? undefined : decodeCursor(q.cursor, 'webhookEndpoint');
      return toPage(await listEndpoints(ctx, { afterId, limit: q.limit }), q.limit, endpointView);
    },
  );

  r.get(
    '/api/webhook-endpoints/:id',
    {
      config: auth,
      schema: {
        tags,
        summary: 'Get a webhook endpoint',
        params: idParams,
        response: { 200: endpointSchema },
      },
    },
    async (request) => getEndpoint(ctx, endpointId(request.params.id)),
  );

  r.get(
    '/api/webhook-endpoints/:id/secret',
    {
      config: auth,
      schema: {
        tags,
        summary: "Get a webhook endpoint's signing secret",
        params: idParams,
        response: { 200: z.object({ secret: z.string() }) },
      },
    },
    async (request) => getEndpointSecret(ctx, endpointId(request.params.id)),
  );
}

/** Change or delete an endpoint. */
function registerEndpointChangeRoutes(app: FastifyInstance, ctx: AppContext) {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.patch(
    '/api/webhook-endpoints/:id',
    {
      config: auth,
      schema: {
        tags,
        summary: 'Update a webhook endpoint',
        params: idParams,
        body: patchBody,
        response: { 200: endpointSchema },
      },
    },
    async (request) => {
      const b = request.body;
      return updateEndpoint(ctx, endpointId(request.params.id), {
        url: b.url,
        description: b.description,
        eventTypes: b.event_types,
        enabled: b.enabled,
      });
    },
  );

  r.delete(
    '/api/webhook-endpoints/:id',
    {
      config: auth,
      schema: {
        tags,
        summary: 'Delete a webhook endpoint and its delivery log',
        params: idParams,
        response: {
          200: z.object({ id: z.string(), object: z.literal('webhook_endpoint'), deleted: z.literal(true) }),
        },
      },
    },
    async (request) => {
      const id = endpointId(request.params.id);
      await deleteEndpoint(ctx, id);
      return { id, object: 'webhook_endpoint' as const, deleted: true as const };
    },
  );
}

/** An endpoint's delivery log, resends and test events. */
function registerDeliveryRoutes(app: FastifyInstance, ctx: AppContext) {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get(
    '/api/webhook-endpoints/:id/deliveries',
    {
      config: auth,
      schema: {
        tags,
        summary: "List an endpoint's deliveries with their attempts, newest first",
        params: idParams,
        querystring: z.strictObject({
          status: z.enum(['pending', 'succeeded', 'failed']).optional(),
          ...pageQuery,
        }),
        response: { 200: pageSchema(deliverySchema) },
      },
    },
    async (request) => {
      const q = request.query;
      const afterId = q.cursor === undefined ? undefined : decodeCursor(q.cursor, 'webhookMessage');
      const { rows, view } = await listDeliveries(ctx, endpointId(request.params.id), {
        afterId,
        limit: q.limit,
        status: q.status,
      });
      return toPage(rows, q.limit, view);
    },
  );

  r.post(
    '/api/webhook-deliveries/:id/resend',
    {
      config: auth,
      schema: {
        tags,
        summary: 'Resend a delivery',
        description:
          'Starts a new series of attempts with the same webhook-id. 409 while the delivery is still being retried or its endpoint is disabled.',
        params: idParams,
        response: { 202: deliverySchema },
      },
    },
    async (request, reply) => {
      const id = requireId('webhookMessage', 'webhook delivery', request.params.id);
      return reply.status(202).send(await resendDelivery(ctx, id));
    },
  );

  r.post(
    '/api/webhook-endpoints/:id/test',
    {
      config: auth,
      schema: {
        tags,
        summary: 'Send a test event to an endpoint',
        description:
          'Queues a `webhook_endpoint.test` event to this endpoint only, whatever its event filter.',
        params: idParams,
        response: { 202: deliverySchema },
      },
    },
    async (request, reply) => reply.status(202).send(await sendTestEvent(ctx, endpointId(request.params.id))),
  );
}

/** Merchant webhook endpoints, their delivery log, manual resend and test events. */
export function registerWebhookEndpointRoutes(app: FastifyInstance, ctx: AppContext) {
  registerEndpointReadRoutes(app, ctx);
  registerEndpointChangeRoutes(app, ctx);
  registerDeliveryRoutes(app, ctx);
}
