import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../../app/shared/context.js';
import { interactionSchema } from '../../app/buyer/interactions.js';
import { answerInteraction } from '../../app/buyer/answer-interaction.js';
import { sendError } from '../errors.js';

/**
 * `POST /discord/interactions`. Discord signs every interaction with Ed25519 over
 * `timestamp + raw body`; anything unsigned, forged or older than 5 minutes gets 401 and nothing is
 * stored (Discord probes with bad signatures and drops endpoints that accept them). A verified
 * interaction goes through the inbox: stored, answered, marked (app/buyer/answer-interaction.ts).
 */
const MAX_SKEW_MS = 5 * 60_000;
const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

export function ed25519PublicKey(hex: string): KeyObject {
  return createPublicKey({
    key: Buffer.concat([SPKI_ED25519_PREFIX, Buffer.from(hex, 'hex')]),
    format: 'der',
    type: 'spki',
  });
}

/** True when the headers sign `rawBody` with `key` and the timestamp is within 5 minutes of `now`. */
export function verifyInteraction(
  key: KeyObject,
  rawBody: Buffer,
  signature: string | undefined,
  timestamp: string | undefined,
  now: number,
): boolean {
  if (!signature || !timestamp || !/^[0-9a-f]{128}$/i.test(signature) || !/^\d{1,12}$/.test(timestamp))
    return false;
  if (Math.abs(now - Number(timestamp) * 1000) > MAX_SKEW_MS) return false;
  try {
    return verify(
      null,
      Buffer.concat([Buffer.from(timestamp, 'utf8'), rawBody]),
      key,
      Buffer.from(signature, 'hex'),
    );
  } catch {
    return false;
  }
}

const header = (request: FastifyRequest, name: string) => {
  const v = request.headers[name];
  return typeof v === 'string' ? v : undefined;
};

export function registerInteractionRoutes(app: FastifyInstance, ctx: AppContext) {
  // Encapsulated so the raw-body parser applies to this route only.
  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: 262_144 }, (_req, body, done) =>
      done(null, body),
    );
    const key = ctx.config.DISCORD_PUBLIC_KEY ? ed25519PublicKey(ctx.config.DISCORD_PUBLIC_KEY) : null;

    scope.post(
      '/discord/interactions',
      { schema: { hide: true }, config: { auth: 'public', rate: 'signed' } },
      async (request: FastifyRequest, reply: FastifyReply) => {
        if (!key)
          return sendError(reply, request, 'service_unavailable', 'DISCORD_PUBLIC_KEY is not configured');
        const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
        const ok = verifyInteraction(
          key,
          raw,
          header(request, 'x-signature-ed25519'),
          header(request, 'x-signature-timestamp'),
          ctx.clock.now(),
        );
        if (!ok)
          return sendError(
            reply,
            request,
            'invalid_signature',
            'the interaction signature is missing, invalid or too old',
          );

        let json: unknown;
        try {
          json = JSON.parse(raw.toString('utf8'));
        } catch {
          return sendError(reply, request, 'invalid_json', 'the interaction body is not valid JSON');
        }
        const parsed = interactionSchema.safeParse(json);
        if (!parsed.success)
          return sendError(
            reply,
            request,
            'validation_failed',
            `the interaction is malformed: ${parsed.error.issues[0]?.message ?? 'invalid'}`,
          );
        const answer = await answerInteraction(ctx, parsed.data, raw.toString('utf8'));
        return reply.header('content-type', 'application/json').send(answer);
      },
    );
  });
}
