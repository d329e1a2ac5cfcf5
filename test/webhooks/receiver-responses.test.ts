import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { newId } from '../../src/core/ids.js';
import {
  defaultDeliveryPolicy,
  deliverWebhookAttempt,
  RESPONSE_KEEP_BYTES,
  type DeliveryPolicy,
} from '../../src/app/webhooks/deliver.js';
import { handle } from '../../src/core/jobs.js';
import { describeEachBackend } from '../helpers/backends.js';
import { eventually, startTestApp, type TestApp } from '../helpers/app.js';
import { Receiver } from './receiver.js';
import { webhookDeliverJob } from '../../src/app/webhooks/jobs.js';

/**
 * Whatever a receiver answers, its delivery follows the retry schedule: a response body the
 * database cannot store as text (a NUL byte, broken UTF-8, megabytes) is stored cleaned and capped,
 * and even an attempt whose details cannot be stored at all still moves the delivery on.
 */
const policy: DeliveryPolicy = {
  ...defaultDeliveryPolicy,
  retryDelaysMs: [30, 30, 30],
  jitter: 0,
  timeoutMs: 1000,
};

interface DeliveryView {
  id: string;
  status: string;
  attempt_count: number;
  last_error: string | null;
  attempts: {
    attempt: number;
    status_code: number | null;
    response_body: string | null;
    error: string | null;
  }[];
}

describeEachBackend('receiver responses are stored safely', ({ dialect }) => {
  let t: TestApp;
  let receiver: Receiver;
  const endpoints: string[] = [];

  beforeAll(async () => {
    receiver = await new Receiver().start();
    t = await startTestApp({
      dialect,
      extraJobs: [handle(webhookDeliverJob, (payload) => deliverWebhookAttempt(t.app.ctx, payload, policy))],
    });
  });
  afterAll(async () => {
    await t.stop();
    await receiver.stop();
  });
  afterEach(async () => {
    for (const id of endpoints.splice(0)) await t.api(`/api/webhook-endpoints/${id}`, { method: 'DELETE' });
    receiver.reset();
  });

  async function endpoint(): Promise<string> {
    const res = await t.api('/api/webhook-endpoints', {
      method: 'POST',
      body: { url: `${receiver.url}/hook`, event_types: [] },
    });
    expect(res.status).toBe(201);
    endpoints.push(res.body.id);
    return res.body.id as string;
  }

  async function finished(endpointId: string): Promise<DeliveryView> {
    return eventually(
      async () => {
        const res = await t.api(`/api/webhook-endpoints/${endpointId}/deliveries`);
        const d = (res.body.data as DeliveryView[])[0];
        return d && d.status !== 'pending' ? d : null;
      },
      10_000,
      'the delivery to finish',
    );
  }

  it('a body with a NUL byte and broken UTF-8 is stored cleaned, and the delivery follows its schedule', async () => {
    const id = await endpoint();
    const poisoned = Buffer.concat([
      Buffer.from('bad\u0000request '),
      Buffer.from([0xff, 0xfe]),
      Buffer.from(' end'),
    ]);
    receiver.answer({ status: 500, body: poisoned });
    receiver.fallback = { status: 200, body: Buffer.from('ok\u0000') };
    await t.api(`/api/webhook-endpoints/${id}/test`, { method: 'POST' });

    const d = await finished(id);
    expect(d.status).toBe('succeeded');
    expect(d.attempts.map((a) => a.status_code)).toEqual([500, 200]);
    expect(d.attempts[0]!.response_body).toBe('bad\uFFFDrequest \uFFFD\uFFFD end');
    expect(d.attempts[1]!.response_body).toBe('ok\uFFFD');
    expect(receiver.at()).toHaveLength(2);
  });

  it('a huge body is capped at 4 KiB without splitting a character', async () => {
    const id = await endpoint();
    // 3-byte characters: the cap falls inside one of them.
    receiver.fallback = { status: 200, body: '€'.repeat(10_000) };
    await t.api(`/api/webhook-endpoints/${id}/test`, { method: 'POST' });
    const d = await finished(id);
    const kept = d.attempts[0]!.response_body!;
    expect(RESPONSE_KEEP_BYTES).toBe(4096);
    expect(Buffer.byteLength(kept)).toBeLessThanOrEqual(RESPONSE_KEEP_BYTES);
    expect(kept).toBe('€'.repeat(Math.floor(RESPONSE_KEEP_BYTES / 3)));
  });

  it('an attempt whose details cannot be stored still advances the schedule, and the delivery ends failed', async () => {
    // The database refuses every attempt row that carries a response body: storing the details fails.
    const db = t.app.ctx.db;
    if (dialect === 'postgres') {
      await sql`CREATE OR REPLACE FUNCTION refuse_bodies() RETURNS trigger AS $$
        BEGIN IF NEW.response_body IS NOT NULL THEN RAISE EXCEPTION 'disk quota exceeded'; END IF; RETURN NEW; END
        $$ LANGUAGE plpgsql`.execute(db.kysely);
      await sql`CREATE TRIGGER refuse_bodies BEFORE INSERT ON webhook_attempts
        FOR EACH ROW EXECUTE FUNCTION refuse_bodies()`.execute(db.kysely);
    } else {
      await sql`CREATE TRIGGER refuse_bodies BEFORE INSERT ON webhook_attempts
        WHEN NEW.response_body IS NOT NULL BEGIN SELECT RAISE(ABORT, 'disk quota exceeded'); END`.execute(
        db.kysely,
      );
    }
    try {
      const id = await endpoint();
      receiver.fallback = { status: 503, body: 'down' };
      await t.api(`/api/webhook-endpoints/${id}/test`, { method: 'POST' });
      const d = await finished(id);
      expect(d.status).toBe('failed');
      expect(d.attempts.map((a) => a.attempt)).toEqual([1, 2, 3, 4]);
      expect(d.attempts.every((a) => a.status_code === 503 && a.response_body === null)).toBe(true);
      expect(d.last_error).toMatch(/HTTP 503.*could not be stored/);
      expect(receiver.at()).toHaveLength(4);
    } finally {
      await sql`DROP TRIGGER refuse_bodies${sql.raw(dialect === 'postgres' ? ' ON webhook_attempts' : '')}`.execute(
        db.kysely,
      );
    }
  });

  it('a delivery left pending by an attempt job that died can be resent', async () => {
    const id = await endpoint();
    // What a database outage longer than the job's own retries leaves behind: the delivery says
    // pending, its attempt job is dead, and nothing will ever run it.
    const now = Date.now();
    const deliveryId = newId('webhookMessage', now);
    const db = t.app.ctx.db.kysely;
    await db
      .insertInto('webhook_deliveries')
      .values({
        id: deliveryId,
        endpoint_id: id,
        event_type: 'webhook_endpoint.test',
        payload: JSON.stringify({ type: 'webhook_endpoint.test', data: {} }),
        status: 'pending',
        attempts: 0,
        next_attempt_at: now,
        last_status_code: null,
        last_error: null,
        created_at: now,
        updated_at: now,
      })
      .execute();
    await db
      .insertInto('jobs')
      .values({
        id: newId('job', now),
        kind: webhookDeliverJob.kind,
        payload: JSON.stringify({ deliveryId, attempt: 1, step: 0 }),
        status: 'dead',
        dedupe_key: null,
        attempts: 5,
        max_attempts: 5,
        run_at: now,
        locked_by: null,
        locked_until: null,
        last_error: 'connection terminated',
        created_at: now,
        updated_at: now,
      })
      .execute();

    receiver.fallback = { status: 204 };
    const res = await t.api(`/api/webhook-deliveries/${deliveryId}/resend`, { method: 'POST' });
    expect(res.status).toBe(202);
    const d = await finished(id);
    expect(d).toMatchObject({ id: deliveryId, status: 'succeeded' });
    expect(receiver.at()).toHaveLength(1);
  });

  it('a delivery whose attempt job is still queued is not resent twice', async () => {
    const id = await endpoint();
    receiver.answer({ status: 200, delayMs: 500 });
    await t.api(`/api/webhook-endpoints/${id}/test`, { method: 'POST' });
    const [pending] = (await t.api(`/api/webhook-endpoints/${id}/deliveries`)).body.data as DeliveryView[];
    const res = await t.api(`/api/webhook-deliveries/${pending!.id}/resend`, { method: 'POST' });
    expect(res.status).toBe(409);
    expect((await finished(id)).status).toBe('succeeded');
  });
});
