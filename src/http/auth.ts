import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../app/shared/context.js';
import { authenticateApiKey } from '../app/admin/api-keys.js';
import { authenticateSession, csrfTokenMatches } from '../app/admin/sessions.js';
import { COOKIES, readSignedCookie, setSignedCookie } from './cookies.js';
import { sendError } from './errors.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * Who may call the route:
     * - `api_key` (default for /api routes): an admin, by API key or by dashboard session;
     * - `session`: a signed-in dashboard session only (what only makes sense for a browser; an API
     *   key is answered 403 by the route, after validation);
     * - `public`: anyone.
     */
    auth?: 'api_key' | 'session' | 'public';
  }
  interface FastifyRequest {
    /** The API key that authenticated the request, for audit causes (`person:key_…`). */
    apiKeyId?: string;
    /** The admin whose dashboard session authenticated the request (`person:adm_…`). */
    adminId?: string;
    /** That dashboard session. */
    sessionId?: string;
  }
}

/** The header a cookie-authenticated write must carry (the value `GET /api/session` gives). */
export const CSRF_HEADER = 'x-csrf-token';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Reads the dashboard session cookie, if any; a rotated token goes back to the browser. Sets
 * `request.adminId` and `request.sessionId`. Public routes may call it (the bot-install callback).
 */
export async function readSession(ctx: AppContext, request: FastifyRequest, reply: FastifyReply) {
  if (request.sessionId) return true;
  const token = readSignedCookie(request, COOKIES.session);
  if (!token) return false;
  const session = await authenticateSession(ctx, token);
  if (!session) return false;
  request.adminId = session.adminId;
  request.sessionId = session.sessionId;
  if (session.newToken) setSignedCookie(reply, ctx, COOKIES.session, session.newToken);
  return true;
}

const bearerOf = (request: FastifyRequest) => {
  const header = request.headers.authorization;
  return header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
};

/**
 * Requires an admin on routes whose config says `auth: 'api_key'` (an API key in
 * `Authorization: Bearer`, or a dashboard session cookie) or `auth: 'session'` (the cookie only).
 * A cookie-authenticated write must also carry the session's CSRF token in `X-CSRF-Token`: a
 * browser attaches the cookie to requests other sites make, never that header.
 */
export function apiKeyGuard(ctx: AppContext) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const mode = request.routeOptions.config?.auth;
    if (mode !== 'api_key' && mode !== 'session') return;
    // A key on a session-only route authenticates (so a malformed request still gets its 400);
    // the route then answers 403, since a key has no session to show.
    const token = bearerOf(request);
    if (token) {
      const key = await authenticateApiKey(ctx, token);
      if (!key) return sendError(reply, request, 'unauthorized', 'the API key is unknown or revoked');
      request.apiKeyId = key.id;
      return;
    }
    if (!(await readSession(ctx, request, reply))) {
      return sendError(
        reply,
        request,
        'unauthorized',
        mode === 'session'
          ? 'sign in to the dashboard first (this route needs a dashboard session)'
          : 'send an API key as "Authorization: Bearer <key>" (create one in the dashboard or with `rolegate api-keys create`), or sign in to the dashboard',
      );
    }
    if (SAFE_METHODS.has(request.method)) return;
    const given = request.headers[CSRF_HEADER];
    if (typeof given !== 'string' || !csrfTokenMatches(ctx, request.sessionId!, given)) {
      return sendError(
        reply,
        request,
        'forbidden',
        `a signed-in write needs the session's CSRF token in the ${CSRF_HEADER} header (GET /api/session gives it)`,
      );
    }
  };
}
