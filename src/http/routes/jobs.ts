import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../../app/shared/context.js';
import { jobStats, jobView, listJobs, loadJob, retryDeadJobs, retryJob } from '../../app/dashboard/jobs.js';
import { decodeCursor, pageQuery, pageSchema, toPage } from '../pagination.js';
import { idParams, isoString, requireId, text } from '../schemas.js';

const tags = ['jobs'];
const auth = { auth: 'api_key' as const };

const kind = text(100, 1).describe('A job kind, e.g. `member.sync` or `webhook.deliver`.');

const jobSchema = z.object({
  id: z.string(),
  object: z.literal('job'),
  kind: z.string(),
  status: z.string().describe('queued | running | dead (done jobs are deleted)'),
  payload: z.unknown(),
  attempts: z.number().int(),
  max_attempts: z.number().int(),
  run_at: isoString.nullable(),
  last_error: z.string().nullable().describe('The error of the last failed attempt.'),
  created_at: isoString.nullable(),
  updated_at: isoString.nullable(),
});

const statsSchema = z.object({
  queued: z.number().int(),
  running: z.number().int(),
  dead: z.number().int(),
  due: z.number().int().describe('Queued jobs whose time has come.'),
  by_kind: z.array(z.object({ status: z.string(), kind: z.string(), count: z.number().int() })),
});

/** The job queue: what waits, what died, and retrying it. */
export function registerJobRoutes(app: FastifyInstance, ctx: AppContext) {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get(
    '/api/jobs',
    {
      config: auth,
      schema: {
        tags,
        summary: 'List jobs, newest first',
        description: '`status=dead` lists the jobs that failed their last attempt, with their error.',
        querystring: z.strictObject({
          status: z.enum(['queued', 'running', 'dead']).optional(),
          kind: kind.optional(),
          ...pageQuery,
        }),
        response: { 200: pageSchema(jobSchema) },
      },
    },
    async (request) => {
      const q = request.query;
      const rows = await listJobs(ctx, {
        status: q.status,
        kind: q.kind,
        afterId: q.cursor === undefined ? undefined : decodeCursor(q.cursor, 'job'),
        limit: q.limit,
      });
      return toPage(rows, q.limit, jobView);
    },
  );

  r.get(
    '/api/jobs/stats',
    {
      config: auth,
      schema: { tags, summary: 'Jobs by status and kind', response: { 200: statsSchema } },
    },
    async () => jobStats(ctx),
  );

  r.get(
    '/api/jobs/:id',
    {
      config: auth,
      schema: { tags, summary: 'Get a job', params: idParams, response: { 200: jobSchema } },
    },
    async (request) => jobView(await loadJob(ctx, requireId('job', 'job', request.params.id))),
  );

  r.post(
    '/api/jobs/:id/retry',
    {
      config: auth,
      schema: {
        tags,
        summary: 'Retry a dead job',
        description: 'Back in the queue now with a fresh set of attempts. A job that is not dead is a 409.',
        params: idParams,
        response: { 200: jobSchema },
      },
    },
    async (request) => jobView(await retryJob(ctx, requireId('job', 'job', request.params.id))),
  );

  r.post(
    '/api/jobs/retry-dead',
    {
      config: auth,
      schema: {
        tags,
        summary: 'Retry every dead job',
        body: z.strictObject({ kind: kind.optional() }).optional(),
        response: { 200: z.object({ retried: z.number().int() }) },
      },
    },
    async (request) => ({ retried: await retryDeadJobs(ctx, request.body?.kind) }),
  );
}
