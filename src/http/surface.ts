import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest, FastifyReply, RouteOptions } from 'fastify';
import { z } from 'zod';
import type { Config } from '../config.js';
import { AppError } from '../core/errors.js';
import { sendError } from './errors.js';

/**
 * The rules every route obeys, enforced in one place when routes are registered, so a route added
 * later cannot forget them (docs/decisions/0009-public-surface.md):
 * - every route declares who may call it (`config.auth`); an /api route that does not is a startup
 *   error, not a public route by accident;
 * - API routes (API key, or under /api) refuse unknown query parameters: their query schema is a
 *   strict object, and a route without one gets the empty strict object;
 * - public routes are rate-limited per client address, from one of four budgets (`config.rate`);
 * - public pages (`config.page`) answer a database outage with an HTML 503 page, the API with JSON;
 * - a NUL byte anywhere in the URL is refused with 400 before any route sees it;
 * - every response carries the security headers (CSP, frame-ancestors 'none', nosniff, no referrer).
 */

/** The budget a public route spends. Default: `page` for GET/HEAD, `form` for anything else. */
export type RateClass = 'page' | 'form' | 'signed' | 'probe';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Which per-address rate-limit budget this public route spends (see RateClass). */
    rate?: RateClass;
    /**
     * The route answers a browser with HTML (offer, success, sign-in, Connect pages): its errors
     * that no handler turned into a page, such as a database outage, are HTML too. Default: public
     * routes outside /api that spend the `page` or `form` budget.
     */
    page?: boolean;
  }
}

const DOCS_PREFIX = '/api/docs';
const MINUTE = 60_000;

function budgets(config: Config): Record<RateClass, number> {
  return {
    page: config.RATE_LIMIT_PAGES_PER_MINUTE,
    form: config.RATE_LIMIT_FORMS_PER_MINUTE,
    signed: config.RATE_LIMIT_SIGNED_PER_MINUTE,
    probe: config.RATE_LIMIT_PROBES_PER_MINUTE,
  };
}

const isDocsRoute = (url: string) => url === DOCS_PREFIX || url.startsWith(`${DOCS_PREFIX}/`);
const methodsOf = (route: RouteOptions) => (Array.isArray(route.method) ? route.method : [route.method]);
const describeRoute = (route: RouteOptions) => `${methodsOf(route).join(',')} ${route.url}`;

/** True for a zod object schema that refuses unknown keys (`z.strictObject`). */
function isStrictObject(schema: unknown): schema is z.ZodObject {
  if (!(schema instanceof z.ZodObject)) return false;
  const catchall: unknown = schema.def.catchall;
  return catchall instanceof z.ZodNever;
}

type Hook = (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;

function addHook(route: RouteOptions, name: 'preValidation', hook: Hook): void {
  const existing = route[name];
  route[name] =
    existing === undefined ? [hook] : Array.isArray(existing) ? [...existing, hook] : [existing, hook];
}

/**
 * Refuses query parameters the route does not know, before the body is validated: Fastify checks
 * the body first, so without this a typo in the query of a POST would hide behind a body error.
 */
function refuseUnknownQuery(known: Set<string>): Hook {
  return async (request, reply) => {
    const unknown = Object.keys(request.query as Record<string, unknown>).filter((k) => !known.has(k));
    if (unknown.length === 0) return;
    return sendError(
      reply,
      request,
      'validation_failed',
      `querystring.${unknown[0]}: is not a query parameter of this route`,
      unknown.map((path) => ({
        location: 'querystring',
        path,
        message: 'is not a query parameter of this route',
      })),
    );
  };
}

function rateClassOf(route: RouteOptions): RateClass {
  if (route.config?.rate) return route.config.rate;
  const reads = methodsOf(route).every((m) => m === 'GET' || m === 'HEAD');
  return reads ? 'page' : 'form';
}

/** Applies the route rules above to one route as it is registered. */
function applyRouteRules(route: RouteOptions, config: Config): void {
  const settings = (route.config ??= {});
  // The API documentation UI is a plugin's routes: public, static, and spending the probe budget.
  if (isDocsRoute(route.url)) {
    settings.auth ??= 'public';
    settings.rate ??= 'probe';
  }
  if (settings.auth === undefined && route.url.startsWith('/api/'))
    throw new Error(
      `route ${describeRoute(route)} must declare config.auth ('api_key', 'session' or 'public')`,
    );

  const isAdmin = settings.auth === 'api_key' || settings.auth === 'session';
  const isApi = isAdmin || (route.url.startsWith('/api/') && !isDocsRoute(route.url));
  if (isApi) {
    const schema = (route.schema ??= {});
    schema.querystring ??= z.strictObject({});
    if (!isStrictObject(schema.querystring))
      throw new Error(`route ${describeRoute(route)}: an API route's querystring must be a z.strictObject`);
    addHook(route, 'preValidation', refuseUnknownQuery(new Set(Object.keys(schema.querystring.shape))));
  }

  if (!isAdmin) {
    const rate = rateClassOf(route);
    settings.page ??= !isApi && !isDocsRoute(route.url) && (rate === 'page' || rate === 'form');
    const max = budgets(config)[rate];
    // 0 turns a budget off (an operator limiting at the proxy instead).
    if (max > 0) settings.rateLimit = { max, timeWindow: MINUTE };
  }
}

/** A NUL byte, raw or percent-encoded, in the path or query: no id, token or filter can hold one. */
function hasNul(url: string): boolean {
  return url.includes('\u0000') || /%00/i.test(url);
}

async function refuseNul(request: FastifyRequest, reply: FastifyReply) {
  if (!hasNul(request.url)) return;
  return sendError(reply, request, 'bad_request', 'the URL contains a NUL character (%00)');
}

/** Security headers for every response; the pages carry no scripts of their own. */
function securityHeaders(config: Config) {
  const https = (config.PUBLIC_URL ?? '').startsWith('https:');
  return {
    global: true,
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        'default-src': ["'self'"],
        'base-uri': ["'none'"],
        'object-src': ["'none'"],
        'frame-ancestors': ["'none'"],
        'img-src': ["'self'", 'data:'],
        'font-src': ["'self'", 'data:'],
        'style-src': ["'self'", "'unsafe-inline'"],
        'script-src': ["'self'"],
        'script-src-attr': ["'none'"],
        // No form-action: the offer form's answer redirects to Stripe Checkout, and browsers apply
        // form-action to that redirect too.
        ...(https ? { 'upgrade-insecure-requests': [] } : {}),
      },
    },
    frameguard: { action: 'deny' as const },
    referrerPolicy: { policy: 'no-referrer' as const },
    // HSTS means something only over https; on a plain-http sandbox it would be noise.
    strictTransportSecurity: https ? { maxAge: 31_536_000, includeSubDomains: true } : false,
  };
}

/**
 * Registers the route rules, the rate limiter and the security headers. Call before any route is
 * registered (the rules run as each route is added).
 */
export async function registerPublicSurface(app: FastifyInstance, config: Config): Promise<void> {
  // Before the rate-limit plugin's own onRoute hook, which reads config.rateLimit.
  app.addHook('onRoute', (route) => applyRouteRules(route, config));
  app.addHook('onRequest', refuseNul);
  await app.register(rateLimit, {
    global: false,
    errorResponseBuilder: (_request, context) =>
      new AppError(
        'rate_limited',
        `too many requests from your address; try again in ${context.after} (see the Retry-After header)`,
      ),
  });
  await app.register(helmet, securityHeaders(config));
}
