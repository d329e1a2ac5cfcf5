import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../app/shared/context.js';
import { authenticateApiKey } from '../app/admin/api-keys.js';
import { sendError } from './errors.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** `api_key` (default for /api routes) or `public`. */
    auth?: 'api_key' | 'public';
  }
  interface FastifyRequest {
    /** The API key that authenticated the request, for audit causes (`person:key_…`). */
    apiKeyId?: string;
  }
}

/** Requires `Authorization: Bearer <api key>` on routes whose config says `auth: 'api_key'`. */
export function apiKeyGuard(ctx: AppContext) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    if (request.routeOptions.config?.auth !== 'api_key') return;
    const header = request.headers.authorization;
    const token = header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
    if (!token) {
      return sendError(
        reply,
        request,
        'unauthorized',
        'send an API key as "Authorization: Bearer <key>" (create one with `rolegate api-keys create`)',
      );
    }
    const key = await authenticateApiKey(ctx, token);
    if (!key) return sendError(reply, request, 'unauthorized', 'the API key is unknown or revoked');
    request.apiKeyId = key.id;
  };
}
