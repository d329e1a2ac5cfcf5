import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { FailureError, type FailureOwner } from '../../src/core/failure.js';
import { handleError } from '../../src/http/errors.js';

async function statusFor(owner: FailureOwner) {
  const app = Fastify({ logger: false });
  app.setErrorHandler(handleError);
  app.get('/x', async () => {
    throw new FailureError({ owner, code: 'discord_50013', message: 'Move the Rolegate role above "Gold".' });
  });
  const res = await app.inject('/x');
  await app.close();
  return { status: res.statusCode, body: res.json() };
}

describe('classified vendor failures reaching a request', () => {
  it('a retry-owned failure is a 503 that says to try again', async () => {
    const { status, body } = await statusFor('retry');
    expect(status).toBe(503);
    expect(body.error).toMatchObject({ code: 'service_unavailable', details: { failure: 'discord_50013' } });
  });

  it('a merchant- or customer-owned failure is a 422 carrying the plain-words fix and its owner', async () => {
    for (const owner of ['merchant', 'customer'] as const) {
      const { status, body } = await statusFor(owner);
      expect(status).toBe(422);
      expect(body.error).toMatchObject({
        code: 'unprocessable',
        message: 'Move the Rolegate role above "Gold".',
        details: { owner },
      });
    }
  });

  it('a bug-owned failure is a 500 that does not leak the vendor message', async () => {
    const { status, body } = await statusFor('bug');
    expect(status).toBe(500);
    expect(body.error.message).not.toContain('Rolegate role');
  });
});
