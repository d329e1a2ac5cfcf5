import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../../app/shared/context.js';
import {
  createCustomer,
  customerView,
  getCustomerWithGrants,
  listCustomers,
} from '../../app/grants/customers.js';
import { decodeCursor, pageQuery, pageSchema, toPage } from '../pagination.js';
import { idParams, isoString, requireId, snowflake, text } from '../schemas.js';
import { grantSchema } from './grants.js';

export const customerSchema = z.object({
  id: z.string(),
  object: z.literal('customer'),
  email: z.string().nullable(),
  name: z.string().nullable(),
  discord_user_id: z.string().nullable().describe('The linked Discord account; grants follow it.'),
  stripe_customer_id: z.string().nullable(),
  created_at: isoString,
  updated_at: isoString,
});

const customerWithGrantsSchema = customerSchema.extend({
  grants: z.array(grantSchema.omit({ claim_code: true })).describe('The newest 100 grants.'),
});

const email = z.email().max(254);

const listQuery = z.strictObject({
  email: email.optional().describe('Exact match, case-insensitive.'),
  discord_user_id: snowflake.optional(),
  ...pageQuery,
});

const createBody = z.strictObject({ email, name: text(100, 1).optional() });

const tags = ['customers'];
const auth = { auth: 'api_key' as const };

/** Customers: buyers, by email and (once linked) Discord account. */
export function registerCustomerRoutes(app: FastifyInstance, ctx: AppContext) {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get(
    '/api/customers',
    {
      config: auth,
      schema: {
        tags,
        summary: 'List customers, newest first',
        querystring: listQuery,
        response: { 200: pageSchema(customerSchema) },
      },
    },
    async (request) => {
      const q = request.query;
      const rows = await listCustomers(ctx, {
        email: q.email,
        discordUserId: q.discord_user_id,
        afterId: q.cursor === undefined ? undefined : decodeCursor(q.cursor, 'customer'),
        limit: q.limit,
      });
      return toPage(rows, q.limit, customerView);
    },
  );

  r.get(
    '/api/customers/:id',
    {
      config: auth,
      schema: {
        tags,
        summary: 'Get a customer with their grants',
        params: idParams,
        response: { 200: customerWithGrantsSchema },
      },
    },
    async (request) => getCustomerWithGrants(ctx, requireId('customer', 'customer', request.params.id)),
  );

  r.post(
    '/api/customers',
    {
      config: auth,
      schema: {
        tags,
        summary: 'Create a customer',
        description: 'One customer per email: a second create with the same email is a 409 naming the first.',
        body: createBody,
        response: { 201: customerSchema },
      },
    },
    async (request, reply) => reply.status(201).send(customerView(await createCustomer(ctx, request.body))),
  );
}
