import { startMailSink, type MailSink } from '@rolegate/mail-sink';
import { signPayload, startLocalStripe, type LocalStripe } from '@rolegate/local-stripe';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachBackend } from '../helpers/backends.js';
import { eventually, startTestApp, type TestApp } from '../helpers/app.js';
import { startRolegate } from '../../src/main/app.js';
import { STRIPE_EVENT_TYPES, targetOf } from '../../src/app/billing/process.js';

describe('the events Rolegate asks Stripe for', () => {
  it('are exactly events it acts on', () => {
    expect(STRIPE_EVENT_TYPES.filter((t) => targetOf(t) === 'none')).toEqual([]);
    expect(new Set(STRIPE_EVENT_TYPES).size).toBe(STRIPE_EVENT_TYPES.length);
  });
});

describeEachBackend('REST API: the setup checklist', ({ dialect }) => {
  let t: TestApp;
  let ls: LocalStripe;
  let sink: MailSink;
  let sdk: Stripe;

  beforeAll(async () => {
    ls = await startLocalStripe({ sweepIntervalMs: null });
    sink = await startMailSink();
    sdk = new Stripe(ls.secretKey, { ...ls.stripeConfig, maxNetworkRetries: 0 });
    // No STRIPE_WEBHOOK_SECRET: the checklist creates the endpoint and keeps its secret.
    t = await startTestApp({
      dialect,
      env: { STRIPE_SECRET_KEY: ls.secretKey, STRIPE_API_URL: ls.url, SMTP_URL: sink.smtpUrl },
    });
  });
  afterAll(async () => {
    await t?.stop();
    await ls?.close();
    await sink?.close();
  });

  /** Pays a Checkout: Stripe emits checkout.session.completed (an event Rolegate asked for). */
  async function paidCheckout(): Promise<string> {
    const product = await sdk.products.create({ name: 'VIP' });
    const price = await sdk.prices.create({ product: product.id, unit_amount: 500, currency: 'usd' });
    const session = await sdk.checkout.sessions.create({
      mode: 'payment',
      line_items: [{ price: price.id, quantity: 1 }],
      success_url: 'https://example.com/ok',
    });
    ls.completeCheckout(session.id, { outcome: 'paid', email: 'buyer@example.com' });
    await ls.flushDeliveries();
    return session.id;
  }
  const attemptsTo = (endpointId: string) => ls.deliveryAttempts().filter((a) => a.endpointId === endpointId);

  it('shows each step with the values to paste', async () => {
    const res = await t.api('/api/setup');
    expect(res.status).toBe(200);
    expect(res.body.public_url).toMatchObject({ url: t.url, https: false, reachable: true });
    expect(res.body.discord).toMatchObject({
      configured: false,
      bot_ok: false,
      interactions_endpoint_url: `${t.url}/discord/interactions`,
      redirect_uris: [
        `${t.url}/auth/discord/callback`,
        `${t.url}/discord/install/callback`,
        `${t.url}/discord/link/callback`,
      ],
    });
    expect(res.body.discord.problem).toContain('DISCORD_BOT_TOKEN');
    expect(res.body.stripe).toMatchObject({
      configured: true,
      mode: 'test',
      webhook: { state: 'missing', url: `${t.url}/webhooks/stripe`, endpoint_id: null },
    });
    expect(res.body.stripe.webhook.events).toEqual([...STRIPE_EVENT_TYPES]);
    expect(res.body.smtp).toMatchObject({ configured: true, last_test: null });
  });

  it('creates the Stripe webhook endpoint once; events signed with its secret are accepted', async () => {
    const created = await t.api('/api/setup/stripe-webhook', { method: 'POST' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ created: true, webhook: { state: 'created', problem: null } });
    const id = created.body.webhook.endpoint_id as string;
    const [endpoint] = ls.webhookEndpoints();
    expect(endpoint).toMatchObject({ id, url: `${t.url}/webhooks/stripe` });
    expect(endpoint?.enabledEvents).toEqual([...STRIPE_EVENT_TYPES]);

    // Stored encrypted: the plain secret is nowhere in the row.
    const row = await t.app.ctx.db.kysely.selectFrom('instance_settings').selectAll().execute();
    expect(JSON.stringify(row)).not.toContain(endpoint?.secret);

    const again = await t.api('/api/setup/stripe-webhook', { method: 'POST', body: {} });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ created: false, webhook: { state: 'created', endpoint_id: id } });
    expect(ls.webhookEndpoints()).toHaveLength(1);

    await paidCheckout();
    const attempts = attemptsTo(id);
    expect(attempts.length).toBeGreaterThan(0);
    expect(attempts.map((a) => a.status)).toEqual(attempts.map(() => 200));
  });

  it('sees an endpoint deleted at Stripe and creates a new one whose secret works', async () => {
    const before = (await t.api('/api/setup')).body.stripe.webhook.endpoint_id as string;
    ls.removeWebhookEndpoint(before);
    expect((await t.api('/api/setup')).body.stripe.webhook).toMatchObject({ state: 'deleted' });
    const created = await t.api('/api/setup/stripe-webhook', { method: 'POST' });
    expect(created.status).toBe(201);
    const id = created.body.webhook.endpoint_id as string;
    expect(id).not.toBe(before);
    await paidCheckout();
    expect(attemptsTo(id).map((a) => a.status)).toContain(200);
    expect(attemptsTo(id).every((a) => a.status === 200)).toBe(true);
  });

  it('another instance on the same database accepts the new secret without a restart', async () => {
    const other = await startRolegate({
      config: { ...t.config, PORT: 0 },
      run: { http: true, worker: false, scheduler: false },
    });
    try {
      const post = (secret: string) => {
        const body = JSON.stringify({
          id: `evt_other_${Date.now()}`,
          type: 'customer.created',
          created: Math.floor(Date.now() / 1000),
          data: { object: { id: 'cus_other' } },
        });
        return fetch(`${other.url}/webhooks/stripe`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'stripe-signature': signPayload(body, secret, Math.floor(Date.now() / 1000)),
          },
          body,
        });
      };
      const before = ls.webhookEndpoints()[0]?.secret ?? '';
      expect((await post(before)).status).toBe(200);
      // This instance creates a new endpoint (the old one deleted at Stripe): the other one, which
      // cached the old secret, picks the new one up when a signature fails.
      ls.removeWebhookEndpoint(ls.webhookEndpoints()[0]?.id ?? '');
      expect((await t.api('/api/setup/stripe-webhook', { method: 'POST' })).status).toBe(201);
      const after = ls.webhookEndpoints()[0]?.secret ?? '';
      expect(after).not.toBe(before);
      await eventually(async () => (await post(after)).status === 200, 15_000, 'the new secret accepted');
    } finally {
      await other.stop();
    }
  });

  it('refuses a webhook signed with another secret', async () => {
    const res = await fetch(`${t.url}/webhooks/stripe`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'stripe-signature': 't=1,v1=00' },
      body: '{"id":"evt_x","type":"invoice.paid","created":1,"data":{"object":{"id":"in_x"}}}',
    });
    expect(res.status).toBe(400);
  });

  it('sends a real test mail through SMTP and remembers it', async () => {
    const res = await t.api('/api/setup/test-mail', { method: 'POST', body: { to: 'owner@example.com' } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ to: 'owner@example.com', sent_at: expect.any(String) });
    const mail = await sink.waitFor((m) => m.subject === 'Rolegate test mail');
    expect(mail.to).toContain('owner@example.com');
    expect((await t.api('/api/setup')).body.smtp.last_test).toEqual(res.body);
  });

  it('refuses bad input with a reason', async () => {
    for (const body of [{ to: 'not an address' }, {}, { to: 'a@b.io', extra: 1 }]) {
      const res = await t.api('/api/setup/test-mail', { method: 'POST', body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.message).toBeTruthy();
    }
    const res = await t.api('/api/setup/stripe-webhook', { method: 'POST', body: { url: 'x' } });
    expect(res.status).toBe(400);
  });
});

describe('REST API: the setup checklist without Stripe or SMTP', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t?.stop());

  it('says what is not configured, and its actions answer 503', async () => {
    const state = await t.api('/api/setup');
    expect(state.body.stripe).toMatchObject({ configured: false, webhook: { state: 'not_configured' } });
    expect(state.body.smtp.configured).toBe(false);
    const webhook = await t.api('/api/setup/stripe-webhook', { method: 'POST' });
    expect(webhook.status).toBe(503);
    expect(webhook.body.error.message).toContain('STRIPE_SECRET_KEY');
    const mail = await t.api('/api/setup/test-mail', { method: 'POST', body: { to: 'a@b.io' } });
    expect(mail.status).toBe(503);
    expect(mail.body.error.message).toContain('SMTP_URL');
  });
});
