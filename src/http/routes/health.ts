import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../../app/shared/context.js';
import { migrationsCurrent, ping } from '../../adapters/store/db.js';
import { DATABASE_RETRY_AFTER_SECONDS, sendError } from '../errors.js';

/** Probes and scrapers call these often from one address: they spend the probe budget, not the page one. */
const probe = { auth: 'public' as const, rate: 'probe' as const };

const digest = (s: string) => createHash('sha256').update(s).digest();

/** `Authorization: Bearer <METRICS_TOKEN>` when the operator set one; compared in constant time. */
function metricsGuard(token: string | undefined) {
  const want = token === undefined ? null : digest(token);
  return async (request: FastifyRequest, reply: FastifyReply) => {
    if (want === null) return;
    const header = request.headers.authorization ?? '';
    const given = header.startsWith('Bearer ') ? header.slice(7).trim() : '';
    if (given && timingSafeEqual(digest(given), want)) return;
    return sendError(
      reply,
      request,
      'unauthorized',
      'send the metrics token as "Authorization: Bearer <token>"',
    );
  };
}

/** Liveness, readiness and Prometheus metrics. */
export function registerHealthRoutes(app: FastifyInstance, ctx: AppContext) {
  app.get('/healthz', { schema: { hide: true }, config: probe }, async () => ({ status: 'ok' }));

  app.get('/readyz', { schema: { hide: true }, config: probe }, async (request, reply) => {
    const checks: Record<string, string> = {};
    try {
      await ping(ctx.db);
      checks.database = 'ok';
    } catch (err) {
      // The reason goes to the log only: the driver's message names the database host and port.
      request.log.warn({ err }, 'readiness: the database does not answer');
      checks.database = 'unreachable';
    }
    checks.migrations = checks.database === 'ok' && (await migrationsCurrent(ctx.db)) ? 'ok' : 'pending';
    const ready = Object.values(checks).every((v) => v === 'ok');
    if (!ready) reply.header('retry-after', String(DATABASE_RETRY_AFTER_SECONDS));
    return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready', checks });
  });

  app.get(
    '/metrics',
    {
      schema: { hide: true, response: { 200: z.string() } },
      config: probe,
      onRequest: metricsGuard(ctx.config.METRICS_TOKEN),
    },
    async (_request, reply) => {
      reply.header('content-type', 'text/plain; version=0.0.4');
      return ctx.metrics.render();
    },
  );
}
