import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { AppError, errorCodes, type ErrorCode } from '../core/errors.js';
import { IllegalTransitionError } from '../core/grant-state.js';
import { FailureError } from '../core/failure.js';
import { isDatabaseUnavailable } from '../adapters/store/db.js';
import { messagePage } from './html.js';

/** The one error shape: `{ error: { code, message, request_id, details? } }`. */
export function sendError(
  reply: FastifyReply,
  request: FastifyRequest,
  code: ErrorCode,
  message: string,
  details?: unknown,
) {
  return reply.status(errorCodes[code]).send({
    error: { code, message, request_id: request.id, ...(details === undefined ? {} : { details }) },
  });
}

/** Seconds a client is asked to wait when the database is unavailable (a restart takes a few). */
export const DATABASE_RETRY_AFTER_SECONDS = 5;

/** Not a bug and not the caller's fault: nothing was stored, so the same request can simply be sent again. */
function sendDatabaseUnavailable(error: unknown, request: FastifyRequest, reply: FastifyReply) {
  // Stripe retries its webhooks on any non-2xx. Logged at debug only: the worker and scheduler
  // already report the outage once, and a busy API would otherwise log every request.
  request.log.debug({ err: error }, 'database unavailable');
  reply.header('retry-after', String(DATABASE_RETRY_AFTER_SECONDS));
  // A buyer's browser gets a page it can show, not JSON (docs/decisions/0023).
  if (request.routeOptions.config.page)
    return messagePage(
      reply,
      503,
      'Back in a moment',
      'This page is briefly unavailable on our side. Nothing was lost: please try again in a few seconds.',
    );
  return sendError(
    reply,
    request,
    'service_unavailable',
    'the database is unavailable right now; try again in a few seconds',
  );
}

/** A classified Discord/Stripe failure reached a request: say who must act, never the raw vendor error. */
function sendFailure(error: FailureError, request: FastifyRequest, reply: FastifyReply) {
  const { owner, code, message } = error.failure;
  switch (owner) {
    case 'retry':
      return sendError(reply, request, 'service_unavailable', `${message} Try again shortly.`, {
        failure: code,
      });
    case 'merchant':
    case 'customer':
      return sendError(reply, request, 'unprocessable', message, { failure: code, owner });
    case 'bug':
      request.log.error({ err: error }, 'vendor call rejected as a bug');
      return sendError(
        reply,
        request,
        'internal_error',
        'something went wrong on our side; the request id helps us find it',
      );
  }
}

/** Fastify's own errors (body parsing, limits) and PostgreSQL refusing request text; null for others. */
function sendFrameworkError(error: unknown, request: FastifyRequest, reply: FastifyReply) {
  const fe = error as Partial<FastifyError> & { message?: string };
  switch (fe.code) {
    // A backstop behind input validation: PostgreSQL refused text from the request (a NUL byte,
    // or bytes that are not UTF-8). The request is malformed; nothing was stored.
    case '22021':
    case '22P05':
      request.log.warn({ err: error }, 'the database refused a text value from the request');
      return sendError(
        reply,
        request,
        'bad_request',
        'a value in the request holds characters that cannot be stored',
      );
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return sendError(reply, request, 'payload_too_large', 'the request body is too large');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return sendError(reply, request, 'unsupported_media_type', 'send the body as application/json');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return sendError(
        reply,
        request,
        'invalid_json',
        'the body is empty but Content-Type says application/json',
      );
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return sendError(reply, request, 'invalid_json', `the body is not valid JSON: ${fe.message ?? ''}`);
    default:
      break;
  }
  if (fe.statusCode === 400 && error instanceof SyntaxError) {
    return sendError(reply, request, 'invalid_json', `the body is not valid JSON: ${error.message}`);
  }
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    const code: ErrorCode =
      fe.statusCode === 413
        ? 'payload_too_large'
        : fe.statusCode === 415
          ? 'unsupported_media_type'
          : 'bad_request';
    return sendError(reply, request, code, fe.message ?? 'bad request');
  }
  return null;
}

/** Maps every thrown thing to the closed list of codes; only the unexpected becomes a 500. */
export function handleError(error: unknown, request: FastifyRequest, reply: FastifyReply) {
  if (isDatabaseUnavailable(error)) return sendDatabaseUnavailable(error, request, reply);
  if (error instanceof AppError) return sendError(reply, request, error.code, error.message, error.details);
  if (error instanceof IllegalTransitionError)
    return sendError(reply, request, 'invalid_transition', error.message);
  if (error instanceof FailureError) return sendFailure(error, request, reply);
  if (hasZodFastifySchemaValidationErrors(error)) {
    const details = error.validation.map((v) => ({
      location: error.validationContext ?? 'body',
      path: v.instancePath.replace(/^\//, '').replace(/\//g, '.'),
      message: v.message ?? 'is invalid',
    }));
    const first = details[0];
    const where = first ? `${first.location}${first.path ? `.${first.path}` : ''}` : 'request';
    return sendError(
      reply,
      request,
      'validation_failed',
      `${where}: ${first?.message ?? 'is invalid'}`,
      details,
    );
  }
  // decodeURIComponent of a malformed escape (a cookie, a token): the request is bad, not us.
  if (error instanceof URIError)
    return sendError(reply, request, 'bad_request', 'a value in the request is not valid percent-encoding');
  const framework = sendFrameworkError(error, request, reply);
  if (framework !== null) return framework;
  request.log.error({ err: error }, 'unhandled error');
  return sendError(
    reply,
    request,
    'internal_error',
    'something went wrong on our side; the request id helps us find it',
  );
}
