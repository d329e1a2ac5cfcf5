import { Webhook } from 'standardwebhooks';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { inTransaction } from '../../src/app/shared/context.js';
import { applyGrantEvent, createGrant, grantView } from '../../src/app/grants/grants.js';
import {
  defaultDeliveryPolicy,
  deliverWebhookAttempt,
  type DeliveryPolicy,
} from '../../src/app/webhooks/deliver.js';
import { handle } from '../../src/core/jobs.js';
import { describeEachBackend } from '../helpers/backends.js';
import { eventually, startTestApp, type TestApp } from '../helpers/app.js';
import { Receiver, seedGrantable } from './receiver.js';
import { webhookDeliverJob } from '../../src/app/webhooks/jobs.js';

// A short schedule (three quick retries) so a whole retry series runs inside a test.
const policy: DeliveryPolicy = {
  ...defaultDeliveryPolicy,
  retryDelaysMs: [30, 30, 30],
  jitter: 0,
  timeoutMs: 1000,
};

describeEachBackend('merchant webhook delivery', ({ dialect }) => {
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
    // Each test has its own endpoints; later tests must not see earlier ones' events.
    for (const id of endpoints.splice(0)) await t.api(`/api/webhook-endpoints/${id}`, { method: 'DELETE' });
    receiver.reset();
  });

  async function endpoint(path = '/hook', eventTypes: string[] = []) {
    const res = await t.api('/api/webhook-endpoints', {
      method: 'POST',
      body: { url: receiver.url + path, event_types: eventTypes },
    });
    expect(res.status).toBe(201);
    endpoints.push(res.body.id);
    return res.body as { id: string; secret: string };
  }

  async function deliveries(endpointId: string) {
    const res = await t.api(`/api/webhook-endpoints/${endpointId}/deliveries`);
    expect(res.status).toBe(200);
    return res.body.data as {
      id: string;
      status: string;
      event_type: string;
      attempt_count: number;
      last_error: string | null;
      attempts: {
        attempt: number;
        status_code: number | null;
        response_body: string | null;
        error: string | null;
      }[];
    }[];
  }

  async function settled(endpointId: string, count = 1) {
    return eventually(
      async () => {
        const list = await deliveries(endpointId);
        return list.length >= count && list.every((d) => d.status !== 'pending') ? list : null;
      },
      10_000,
      'deliveries to finish',
    );
  }

  async function grantLifecycle() {
    const seed = await seedGrantable(t.app.ctx.db);
    const ctx = t.app.ctx;
    const grant = await inTransaction(ctx, (tx) =>
      createGrant(ctx, tx, {
        entitlementId: seed.entitlementId,
        customerId: seed.customerId,
        source: 'manual',
        active: true,
        cause: 'test',
      }),
    );
    const delivered = await inTransaction(ctx, (tx) =>
      applyGrantEvent(ctx, tx, grant.id, 'delivery_succeeded', { cause: 'test', grantedRoleIds: [] }),
    );
    const revoked = await inTransaction(ctx, (tx) =>
      applyGrantEvent(ctx, tx, grant.id, 'revoke', { cause: 'test', reason: 'refund' }),
    );
    return { grant, delivered, revoked };
  }

  it('a grant that is created, delivered and revoked sends three signed events carrying the grant', async () => {
    const ep = await endpoint();
    const { grant, delivered, revoked } = await grantLifecycle();
    await eventually(async () => receiver.at().length >= 3, 10_000, 'three events');

    const bodies = receiver.at().map((r) => {
      const verified = new Webhook(ep.secret).verify(r.body, Receiver.signatureHeaders(r)) as {
        type: string;
        data: unknown;
      };
      expect(r.headers['content-type']).toBe('application/json');
      expect(r.headers['webhook-id']).toMatch(/^msg_/);
      return verified;
    });
    const byType = new Map(bodies.map((b) => [b.type, b.data]));
    expect([...byType.keys()].sort()).toEqual([
      'entitlement_grant.created',
      'entitlement_grant.delivered',
      'entitlement_grant.revoked',
    ]);
    expect(byType.get('entitlement_grant.created')).toEqual(grantView(grant));
    expect(byType.get('entitlement_grant.delivered')).toEqual(grantView(delivered));
    expect(byType.get('entitlement_grant.revoked')).toEqual(grantView(revoked));
    const list = await settled(ep.id, 3);
    expect(list.map((d) => d.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
  });

  it('a signature made with another secret does not verify', async () => {
    await endpoint();
    await t.api(`/api/webhook-endpoints/${endpoints[0]}/test`, { method: 'POST' });
    await eventually(async () => receiver.at().length >= 1);
    const r = receiver.at()[0]!;
    const other = new Webhook(`whsec_${Buffer.alloc(32, 7).toString('base64')}`);
    expect(() => other.verify(r.body, Receiver.signatureHeaders(r))).toThrow();
  });

  it('a receiver answering 500 then 200 gets the same webhook-id twice and the delivery succeeds with 2 attempts', async () => {
    const ep = await endpoint();
    receiver.answer({ status: 500, body: 'boom' });
    await t.api(`/api/webhook-endpoints/${ep.id}/test`, { method: 'POST' });
    const [d] = await settled(ep.id);
    expect(d!.status).toBe('succeeded');
    expect(d!.attempt_count).toBe(2);
    expect(d!.attempts.map((a) => a.status_code)).toEqual([500, 200]);
    expect(d!.attempts[0]!.response_body).toBe('boom');
    const ids = receiver.at().map((r) => r.headers['webhook-id']);
    expect(ids).toEqual([d!.id, d!.id]);
    for (const r of receiver.at()) new Webhook(ep.secret).verify(r.body, Receiver.signatureHeaders(r));
  });

  it('a delivery that fails every attempt of its series ends failed with every attempt logged', async () => {
    const ep = await endpoint();
    receiver.fallback = { status: 503, body: 'x'.repeat(10_000) };
    await t.api(`/api/webhook-endpoints/${ep.id}/test`, { method: 'POST' });
    const [d] = await settled(ep.id);
    expect(d!.status).toBe('failed');
    expect(d!.attempts.map((a) => a.attempt)).toEqual([1, 2, 3, 4]);
    expect(d!.attempts.every((a) => a.status_code === 503 && a.response_body!.length === 4096)).toBe(true);
    const got = await t.api(`/api/webhook-endpoints/${ep.id}`);
    expect(got.body.enabled).toBe(true);
    expect(got.body.failing_since).not.toBeNull();
  });

  it('410 Gone disables the endpoint and stops retrying', async () => {
    const ep = await endpoint();
    receiver.fallback = { status: 410 };
    await t.api(`/api/webhook-endpoints/${ep.id}/test`, { method: 'POST' });
    const [d] = await settled(ep.id);
    expect(d!.status).toBe('failed');
    expect(d!.attempt_count).toBe(1);
    const got = await t.api(`/api/webhook-endpoints/${ep.id}`);
    expect(got.body).toMatchObject({ enabled: false, disabled_reason: 'the endpoint answered 410 Gone' });
    // A disabled endpoint receives no new events. Deliveries are written in the transaction of the
    // change (outbox), so once an enabled witness has all three, the disabled one provably has none.
    // The witness must answer 2xx: with the 410 still in place it would be disabled after its first.
    receiver.fallback = { status: 204 };
    const witness = await endpoint('/witness');
    await grantLifecycle();
    await settled(witness.id, 3);
    expect(await deliveries(ep.id)).toHaveLength(1);
    expect(receiver.at('/hook')).toHaveLength(1);
  });

  it('a redirect is not followed: the 3xx is a failed attempt and the target is never called', async () => {
    const ep = await endpoint();
    receiver.fallback = { status: 302, headers: { location: `${receiver.url}/elsewhere` } };
    await t.api(`/api/webhook-endpoints/${ep.id}/test`, { method: 'POST' });
    const [d] = await settled(ep.id);
    expect(d!.status).toBe('failed');
    expect(d!.attempts.every((a) => a.status_code === 302)).toBe(true);
    expect(d!.last_error).toMatch(/redirects are not followed/);
    expect(receiver.at('/elsewhere')).toHaveLength(0);
  });

  it('a receiver slower than the timeout is a failed attempt', async () => {
    const ep = await endpoint();
    receiver.answer({ status: 200, delayMs: 3000 });
    await t.api(`/api/webhook-endpoints/${ep.id}/test`, { method: 'POST' });
    const [d] = await settled(ep.id);
    expect(d!.status).toBe('succeeded');
    expect(d!.attempts[0]).toMatchObject({ status_code: null });
    expect(d!.attempts[0]!.error).toMatch(/no response within 1000 ms/);
  });

  it('manual resend starts a new series with the same webhook-id', async () => {
    const ep = await endpoint();
    receiver.fallback = { status: 500 };
    await t.api(`/api/webhook-endpoints/${ep.id}/test`, { method: 'POST' });
    const [failed] = await settled(ep.id);
    expect(failed!.status).toBe('failed');

    receiver.fallback = { status: 204 };
    const res = await t.api(`/api/webhook-deliveries/${failed!.id}/resend`, { method: 'POST' });
    expect(res.status).toBe(202);
    expect(res.body.status).toBe('pending');
    const [done] = await settled(ep.id);
    expect(done!.status).toBe('succeeded');
    expect(done!.attempts.map((a) => a.status_code)).toEqual([500, 500, 500, 500, 204]);
    expect(new Set(receiver.at().map((r) => r.headers['webhook-id']))).toEqual(new Set([failed!.id]));
    const last = receiver.at().at(-1)!;
    new Webhook(ep.secret).verify(last.body, Receiver.signatureHeaders(last));
  });

  it('resending an unknown delivery is a 404 and resending while the endpoint is disabled a 409', async () => {
    expect((await t.api('/api/webhook-deliveries/msg_nope/resend', { method: 'POST' })).status).toBe(404);
    const ep = await endpoint();
    await t.api(`/api/webhook-endpoints/${ep.id}/test`, { method: 'POST' });
    const [d] = await settled(ep.id);
    await t.api(`/api/webhook-endpoints/${ep.id}`, { method: 'PATCH', body: { enabled: false } });
    const res = await t.api(`/api/webhook-deliveries/${d!.id}/resend`, { method: 'POST' });
    expect(res.status).toBe(409);
    expect(res.body.error.message).toMatch(/disabled/);
  });

  it('an endpoint receives only the event types it subscribed to', async () => {
    const onlyRevoked = await endpoint('/revoked', ['entitlement_grant.revoked']);
    const all = await endpoint('/all');
    await grantLifecycle();
    await settled(all.id, 3);
    await settled(onlyRevoked.id, 1);
    const types = (path: string) =>
      receiver.at(path).map((r) => (JSON.parse(r.body) as { type: string }).type);
    expect(types('/revoked')).toEqual(['entitlement_grant.revoked']);
    expect(types('/all').sort()).toEqual([
      'entitlement_grant.created',
      'entitlement_grant.delivered',
      'entitlement_grant.revoked',
    ]);
  });

  it('the test event reaches an endpoint whatever its filter', async () => {
    const ep = await endpoint('/hook', ['entitlement_grant.failed']);
    const res = await t.api(`/api/webhook-endpoints/${ep.id}/test`, { method: 'POST' });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ event_type: 'webhook_endpoint.test', endpoint_id: ep.id });
    await settled(ep.id);
    const body = new Webhook(ep.secret).verify(
      receiver.at()[0]!.body,
      Receiver.signatureHeaders(receiver.at()[0]!),
    );
    expect(body).toMatchObject({ type: 'webhook_endpoint.test', data: { endpoint_id: ep.id } });
  });
});
