import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../app/shared/context.js';
import { ingestStripeWebhook } from '../../app/billing/ingest.js';
import { sendError } from '../errors.js';

/**
 * `POST /webhooks/stripe`: the signature is an HMAC over the exact bytes Stripe sent, so this route
 * lives in its own encapsulated scope whose only body parser hands the raw Buffer through.
 * Verify → inbox + job in one transaction → 200; processing happens in the job.
 */
export function registerStripeWebhookRoute(app: FastifyInstance, ctx: AppContext) {
  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
    scope.post(
      '/webhooks/stripe',
      { schema: { hide: true }, config: { auth: 'public', rate: 'signed' } },
      async (request, reply) => {
        const body = request.body;
        if (!Buffer.isBuffer(body) || body.length === 0)
          return sendError(
            reply,
            request,
            'bad_request',
            'the body is empty; Stripe sends the event as JSON',
          );
        const header = request.headers['stripe-signature'];
        const signature = Array.isArray(header) ? header[0] : header;
        if (!signature)
          return sendError(reply, request, 'bad_request', 'the Stripe-Signature header is missing');
        const result = await ingestStripeWebhook(ctx, body, signature);
        return reply.status(200).send({ received: true, id: result.id, duplicate: result.duplicate });
      },
    );
  });
}
