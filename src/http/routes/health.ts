import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../../app/context.js';
import { isDatabaseUnavailable, migrationsCurrent, ping } from '../../adapters/store/db.js';
import { DATABASE_RETRY_AFTER_SECONDS } from '../errors.js';

/** Liveness, readiness and Prometheus metrics. */
export function registerHealthRoutes(app: FastifyInstance, ctx: AppContext) {
  app.get('/healthz', { schema: { hide: true }, config: { auth: 'public' } }, async () => ({ status: 'ok' }));

  app.get('/readyz', { schema: { hide: true }, config: { auth: 'public' } }, async (request, reply) => {
    const checks: Record<string, string> = {};
    try {
      await ping(ctx.db);
      checks.database = 'ok';
    } catch (err) {
      // The error's text can name the database host; it goes to the log, not to the caller.
      request.log.debug({ err }, 'readiness: database check failed');
      checks.database = isDatabaseUnavailable(err) ? 'unavailable' : 'error';
    }
    checks.migrations = checks.database === 'ok' && (await migrationsCurrent(ctx.db)) ? 'ok' : 'pending';
    const ready = Object.values(checks).every((v) => v === 'ok');
    if (!ready) reply.header('retry-after', String(DATABASE_RETRY_AFTER_SECONDS));
    return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready', checks });
  });

  app.get(
    '/metrics',
    { schema: { hide: true, response: { 200: z.string() } }, config: { auth: 'public' } },
    async (_request, reply) => {
      reply.header('content-type', 'text/plain; version=0.0.4');
      return ctx.metrics.render();
    },
  );
}
