import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Stripe from 'stripe';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { backends } from '../helpers/backends.js';
import { postgresUnavailable } from '../helpers/db.js';
import { stripeProcessEventJob } from '../../src/app/billing/jobs.js';

const pgReason = await postgresUnavailable();
const secret = `whsec_${randomBytes(16).toString('hex')}`;
const sdk = new Stripe('sk_test_sig');

function event(id = `evt_${randomBytes(8).toString('hex')}`) {
  return JSON.stringify({
    id,
    object: 'event',
    type: 'customer.subscription.updated',
    created: Math.floor(Date.now() / 1000),
    data: { object: { id: 'sub_123', object: 'subscription' } },
  });
}

for (const dialect of backends) {
  const skip = dialect === 'postgres' && pgReason;
  (skip ? describe.skip : describe)(`POST /webhooks/stripe [${dialect}]`, () => {
    let t: TestApp;
    beforeAll(async () => {
      // No worker: the stored events stay queued, so the test sees exactly what ingest wrote.
      t = await startTestApp({
        dialect,
        worker: false,
        env: {
          STRIPE_SECRET_KEY: 'sk_test_x',
          STRIPE_WEBHOOK_SECRET: secret,
          STRIPE_API_URL: 'http://127.0.0.1:9',
        },
      });
    });
    afterAll(async () => t?.stop());

    const send = (body: string, signature?: string) =>
      fetch(`${t.url}/webhooks/stripe`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(signature ? { 'stripe-signature': signature } : {}),
        },
        body,
      });
    const counts = async () => {
      const db = t.app.ctx.db.kysely;
      const inbox = await db
        .selectFrom('inbox_events')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      const jobs = await db
        .selectFrom('jobs')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('kind', '=', stripeProcessEventJob.kind)
        .executeTakeFirstOrThrow();
      return { inbox: Number(inbox.n), jobs: Number(jobs.n) };
    };

    it('rejects an event without a Stripe-Signature header with 400 and stores nothing', async () => {
      const before = await counts();
      const res = await send(event());
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('bad_request');
      expect(await counts()).toEqual(before);
    });

    it('rejects a signature made with another secret with 400 and stores nothing', async () => {
      const before = await counts();
      const body = event();
      const res = await send(
        body,
        sdk.webhooks.generateTestHeaderString({ payload: body, secret: 'whsec_wrong' }),
      );
      expect(res.status).toBe(400);
      expect(await counts()).toEqual(before);
    });

    it('rejects a body changed after signing with 400', async () => {
      const body = event();
      const signature = sdk.webhooks.generateTestHeaderString({ payload: body, secret });
      const res = await send(body.replace('sub_123', 'sub_999'), signature);
      expect(res.status).toBe(400);
    });

    it('rejects a signature older than 300 seconds with 400 and stores nothing', async () => {
      const before = await counts();
      const body = event();
      const timestamp = Math.floor(Date.now() / 1000) - 301;
      const res = await send(
        body,
        sdk.webhooks.generateTestHeaderString({ payload: body, secret, timestamp }),
      );
      expect(res.status).toBe(400);
      expect(await counts()).toEqual(before);
    });

    it('rejects a signature dated more than 300 seconds in the future with 400 and stores nothing', async () => {
      const before = await counts();
      const body = event();
      const timestamp = Math.floor(Date.now() / 1000) + 301;
      const res = await send(
        body,
        sdk.webhooks.generateTestHeaderString({ payload: body, secret, timestamp }),
      );
      expect(res.status).toBe(400);
      expect(await counts()).toEqual(before);
    });

    it('accepts a signature dated a little in the future (clock skew within the tolerance)', async () => {
      const before = await counts();
      const body = event();
      const timestamp = Math.floor(Date.now() / 1000) + 60;
      const res = await send(
        body,
        sdk.webhooks.generateTestHeaderString({ payload: body, secret, timestamp }),
      );
      expect(res.status).toBe(200);
      expect(await counts()).toEqual({ inbox: before.inbox + 1, jobs: before.jobs + 1 });
    });

    it('stores a correctly signed event with its processing job and answers 200', async () => {
      const before = await counts();
      const body = event();
      const res = await send(body, sdk.webhooks.generateTestHeaderString({ payload: body, secret }));
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ received: true, duplicate: false });
      expect(await counts()).toEqual({ inbox: before.inbox + 1, jobs: before.jobs + 1 });
    });

    it('acknowledges a duplicate delivery of one event and stores it once', async () => {
      const before = await counts();
      const body = event('evt_duplicate_once');
      for (let i = 0; i < 3; i++) {
        const res = await send(body, sdk.webhooks.generateTestHeaderString({ payload: body, secret }));
        expect(res.status).toBe(200);
        expect(((await res.json()) as { duplicate: boolean }).duplicate).toBe(i > 0);
      }
      expect(await counts()).toEqual({ inbox: before.inbox + 1, jobs: before.jobs + 1 });
    });

    it('a burst of concurrent deliveries, duplicates included, stores each event once and answers all', async () => {
      const before = await counts();
      const bodies = Array.from({ length: 40 }, (_, i) => event(`evt_burst_${dialect}_${i % 25}`));
      const answers = await Promise.all(
        bodies.map(async (body) => {
          const res = await send(body, sdk.webhooks.generateTestHeaderString({ payload: body, secret }));
          return { status: res.status, ...((await res.json()) as { duplicate: boolean }) };
        }),
      );
      expect(answers.every((a) => a.status === 200)).toBe(true);
      expect(answers.filter((a) => !a.duplicate)).toHaveLength(25);
      expect(await counts()).toEqual({ inbox: before.inbox + 25, jobs: before.jobs + 25 });
    });

    it('rejects an empty body with 400', async () => {
      const res = await send('', 't=1,v1=abc');
      expect(res.status).toBe(400);
    });
  });
}
