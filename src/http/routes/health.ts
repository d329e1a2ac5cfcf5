import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../../app/context.js';
import { migrationsCurrent, ping } from '../../adapters/store/db.js';

/** Liveness, readiness and Prometheus metrics. */
export function registerHealthRoutes(app: FastifyInstance, ctx: AppContext) {
  app.get('/healthz', { schema: { hide: true }, config: { auth: 'public' } }, async () => ({ status: 'ok' }));

  app.get('/readyz', { schema: { hide: true }, config: { auth: 'public' } }, async (_request, reply) => {
    const checks: Record<string, string> = {};
    try {
      await ping(ctx.db);
      checks.database = 'ok';
    } catch (err) {
      checks.database = `unreachable: ${err instanceof Error ? err.message : String(err)}`;
    }
    checks.migrations = checks.database === 'ok' && (await migrationsCurrent(ctx.db)) ? 'ok' : 'pending';
    const ready = Object.values(checks).every((v) => v === 'ok');
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
