import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { createApiKey, listApiKeys, revokeApiKey } from '../../app/admin/api-keys.js';
import type { AppContext } from '../../app/shared/context.js';
import { AppError } from '../../core/errors.js';
import { idParams, isoString, requireId, text } from '../schemas.js';

/** API keys for programs: created (shown once) and revoked from the dashboard or with a key. */

const tags = ['api-keys'];
const auth = { auth: 'api_key' as const };
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

const keySchema = z.object({
  id: z.string(),
  object: z.literal('api_key'),
  name: z.string(),
  prefix: z.string().describe('The first characters of the key, to recognise it.'),
  created_at: isoString,
  last_used_at: isoString.nullable().describe('Recorded at most once a minute.'),
  revoked_at: isoString.nullable(),
});
type KeyRow = Awaited<ReturnType<typeof listApiKeys>>[number];
const keyView = (k: KeyRow) => ({
  id: k.id,
  object: 'api_key' as const,
  name: k.name,
  prefix: k.prefix,
  created_at: iso(k.created_at)!,
  last_used_at: iso(k.last_used_at),
  revoked_at: iso(k.revoked_at),
});

export function registerApiKeyRoutes(app: FastifyInstance, ctx: AppContext) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get(
    '/api/api-keys',
    {
      config: auth,
      schema: {
        tags,
        summary: 'API keys, oldest first (revoked ones too)',
        response: { 200: z.object({ data: z.array(keySchema) }) },
      },
    },
    async () => ({ data: (await listApiKeys(ctx)).map(keyView) }),
  );
  r.post(
    '/api/api-keys',
    {
      config: auth,
      schema: {
        tags,
        summary: 'Create an API key; the key itself is in this answer only',
        body: z.strictObject({ name: text(100, 1).describe('What the key is for.') }),
        response: {
          201: keySchema.extend({ key: z.string().describe('Store it now: it is shown only once.') }),
        },
      },
    },
    async (request, reply) => {
      const created = await createApiKey(ctx, request.body.name);
      const now = new Date(ctx.clock.now()).toISOString();
      return reply.status(201).send({
        id: created.id,
        object: 'api_key' as const,
        name: created.name,
        prefix: created.prefix,
        created_at: now,
        last_used_at: null,
        revoked_at: null,
        key: created.key,
      });
    },
  );
  r.delete(
    '/api/api-keys/:id',
    {
      config: auth,
      schema: {
        tags,
        summary: 'Revoke an API key (requests with it fail from now on)',
        params: idParams,
        response: {
          200: z.object({ id: z.string(), object: z.literal('api_key'), revoked: z.literal(true) }),
        },
      },
    },
    async (request) => {
      const id = requireId('apiKey', 'API key', request.params.id);
      if (!(await revokeApiKey(ctx, id)))
        throw new AppError('not_found', `API key ${id} does not exist or is already revoked`);
      return { id, object: 'api_key' as const, revoked: true as const };
    },
  );
}
