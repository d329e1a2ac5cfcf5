import { randomBytes } from 'node:crypto';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { AppContext } from '../app/shared/context.js';
import { apiKeyGuard } from './auth.js';
import { registerCookies } from './cookies.js';
import { handleError, sendError } from './errors.js';
import { registerRoutes } from './routes/index.js';
import { registerPublicSurface } from './surface.js';
import { registerWebApp } from './web-app.js';

/** Builds the HTTP server: API, webhooks, interactions, OAuth callbacks, health and metrics. */
export async function buildHttpServer(ctx: AppContext): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: ctx.log as FastifyBaseLogger,
    // Which proxies may name the client (X-Forwarded-For): rate limits are per client address.
    trustProxy: ctx.config.TRUST_PROXY,
    bodyLimit: 1_048_576,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[\w.-]{1,64}$/.test(given)
        ? given
        : `req_${randomBytes(8).toString('hex')}`;
    },
    routerOptions: { maxParamLength: 200 },
    // Errors the router raises before any hook runs, in the one error shape like every other.
    frameworkErrors: (error, request, reply) => {
      reply.header('x-request-id', request.id);
      if (error.code === 'FST_ERR_MAX_PARAM_LENGTH')
        return sendError(reply, request, 'not_found', 'no resource has an id that long');
      return sendError(reply, request, 'bad_request', 'the URL is not valid percent-encoded UTF-8');
    },
  });
  // JSON only: a body sent as text/plain is refused with 415 instead of being read as a string.
  app.removeContentTypeParser('text/plain');
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(handleError);
  app.setNotFoundHandler((request, reply) =>
    sendError(reply, request, 'not_found', `no route for ${request.method} ${request.url.split('?')[0]}`),
  );
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  app.addHook('onResponse', async (request, reply) => {
    ctx.metrics.httpRequests.inc({
      route: request.routeOptions.url ?? 'unmatched',
      status: String(reply.statusCode),
    });
  });
  await registerPublicSurface(app, ctx.config);
  await registerCookies(app, ctx);
  // onRequest (after the cookie parser), before the body is read or validated: a request without a
  // valid key or session learns nothing else.
  app.addHook('onRequest', apiKeyGuard(ctx));

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Rolegate API',
        version: '1',
        description:
          'Sell access to Discord servers and roles. Authenticate with `Authorization: Bearer <api key>`, or (the dashboard) with the session cookie plus the `X-CSRF-Token` header on writes.',
      },
      components: {
        securitySchemes: {
          apiKey: { type: 'http', scheme: 'bearer' },
          session: { type: 'apiKey', in: 'cookie', name: 'rolegate_session' },
        },
      },
      security: [{ apiKey: [] }, { session: [] }],
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: '/api/docs' });
  app.get(
    '/api/openapi.json',
    { schema: { hide: true }, config: { auth: 'public', rate: 'probe' } },
    async () => app.swagger(),
  );

  await registerRoutes(app, ctx);
  await registerWebApp(app);
  return app;
}
