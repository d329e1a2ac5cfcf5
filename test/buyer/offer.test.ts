import { afterAll, beforeAll, expect, it } from 'vitest';
import { signPayload } from '@rolegate/local-stripe';
import { describeEachBackend } from '../helpers/backends.js';
import { eventually } from '../helpers/app.js';
import { startBuyerWorld, type BuyerWorld } from './world.js';

describeEachBackend('the public offer form treats the email as an unverified claim', ({ dialect }) => {
  let w: BuyerWorld;
  beforeAll(async () => {
    w = await startBuyerWorld(dialect);
  });
  afterAll(() => w.stop());

  const db = () => w.t.app.ctx.db.kysely;
  const customerByEmail = (email: string) =>
    db().selectFrom('customers').selectAll().where('email', '=', email).executeTakeFirstOrThrow();
  const sessionStatus = (id: string) =>
    w.ls
      .events()
      .filter((e) => (e.data.object as { id?: string }).id === id)
      .at(-1)?.type;
  const customersCreatedInStripe = () => w.ls.events().filter((e) => e.type === 'customer.created').length;
  const signInMails = (email: string) =>
    w.mail.mails.filter(
      (m) => m.recipients.includes(email) && m.links.some((l) => l.includes('/buyer/sign-in')),
    );

  /** A buyer who paid from their own browser; returns everything that is theirs. */
  const payingBuyer = async (email: string, entitlementId: string) => {
    const own = w.browser();
    const posted = await w.postOffer(own, entitlementId, email);
    expect(posted.status).toBe(303);
    await w.pay(posted.sessionId ?? '');
    const grant = await w.grantOfSession(posted.sessionId ?? '');
    expect(grant.active).toBe(1);
    const customer = await customerByEmail(email);
    const portal = await w.t.api(`/api/grants/${grant.id}/portal`, { method: 'POST' });
    return {
      sessionId: posted.sessionId ?? '',
      grant,
      customer,
      secrets: [
        posted.sessionId ?? '',
        grant.id,
        grant.claim_code ?? '',
        customer.id,
        customer.stripe_customer_id ?? '',
        new URL(portal.body.url as string).pathname,
      ],
    };
  };

  it("posted with a paying buyer's email, it answers no URL, session, link or code of theirs and emails them a sign-in link", async () => {
    const entitlementId = await w.offer('monthly');
    const victim = await payingBuyer('holder@example.test', entitlementId);

    const attacker = w.browser();
    const res = await w.postOffer(attacker, entitlementId, 'holder@example.test');
    const everything = [String(res.status), res.location ?? '', res.text, res.headerText].join('\n');
    expect(res.status).toBe(200);
    expect(res.text).toContain('Check your email');
    for (const secret of victim.secrets) expect(everything).not.toContain(secret);
    expect(everything).not.toContain(w.ls.url);
    expect(everything).not.toContain('/discord/link');
    expect(res.setCookies).toEqual([]);

    const mail = await w.mail.waitFor((m) => signInMails('holder@example.test').includes(m), 10_000);
    expect(mail.subject).toContain('Your link to');
  });

  it('posted twice with one email, it gives two different sessions and expires the older one', async () => {
    const entitlementId = await w.offer();
    const first = await w.postOffer(w.browser(), entitlementId, 'twice@example.test');
    const second = await w.postOffer(w.browser(), entitlementId, 'twice@example.test');
    expect(first.status).toBe(303);
    expect(second.status).toBe(303);
    expect(second.sessionId).not.toBe(first.sessionId);
    expect(sessionStatus(first.sessionId ?? '')).toBe('checkout.session.expired');
    expect(() => w.ls.completeCheckout(first.sessionId ?? '', { outcome: 'paid' })).toThrow(/expired/);
    await w.settle();
    expect(await w.grantOfSession(first.sessionId ?? '')).toMatchObject({ status: 'revoked', active: 0 });
    await w.pay(second.sessionId ?? '');
    expect(await w.grantOfSession(second.sessionId ?? '')).toMatchObject({ active: 1 });
  });

  it('lets Checkout create the Stripe customer when the buyer pays, and records it', async () => {
    const entitlementId = await w.offer();
    const before = customersCreatedInStripe();
    const posted = await w.postOffer(w.browser(), entitlementId, 'fresh@example.test');
    expect(posted.status).toBe(303);
    expect(customersCreatedInStripe()).toBe(before);
    expect((await customerByEmail('fresh@example.test')).stripe_customer_id).toBeNull();

    await w.pay(posted.sessionId ?? '');
    expect(customersCreatedInStripe()).toBe(before + 1);
    const created = w.ls.events().findLast((e) => e.type === 'customer.created');
    const stripeCustomer = created?.data.object as { id: string; email: string };
    expect(stripeCustomer.email).toBe('fresh@example.test');
    expect((await customerByEmail('fresh@example.test')).stripe_customer_id).toBe(stripeCustomer.id);
  });

  it('a late checkout.session.completed for a replaced session grants nothing', async () => {
    const entitlementId = await w.offer();
    const replaced = await w.postOffer(w.browser(), entitlementId, 'late@example.test');
    const current = await w.postOffer(w.browser(), entitlementId, 'late@example.test');
    await w.settle();
    // An event claiming the replaced session was paid (Stripe never sends it for an expired session).
    const payload = JSON.stringify({
      id: 'evt_late_completed_1',
      object: 'event',
      type: 'checkout.session.completed',
      created: Math.floor(Date.now() / 1000),
      data: { object: { id: replaced.sessionId, object: 'checkout.session' } },
    });
    const res = await fetch(`${w.t.url}/webhooks/stripe`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'stripe-signature': signPayload(payload, w.webhookSecret, Math.floor(Date.now() / 1000)),
      },
      body: payload,
    });
    expect(res.status).toBe(200);
    await w.settle();
    expect(await w.grantOfSession(replaced.sessionId ?? '')).toMatchObject({ status: 'revoked', active: 0 });
    await w.pay(current.sessionId ?? '');
    const customer = await customerByEmail('late@example.test');
    const active = await db()
      .selectFrom('grants')
      .select('id')
      .where('customer_id', '=', customer.id)
      .where('active', '=', 1)
      .execute();
    expect(active).toHaveLength(1);
  });

  it('an older session paid before it could be expired: no second session, the buyer gets the sign-in link', async () => {
    const entitlementId = await w.offer();
    const first = await w.postOffer(w.browser(), entitlementId, 'raced@example.test');
    // Paid on Stripe, but its webhook has not reached Rolegate yet.
    const endpoint = w.ls.webhookEndpoints()[0];
    w.ls.removeWebhookEndpoint(endpoint?.id ?? '');
    w.ls.completeCheckout(first.sessionId ?? '', { outcome: 'paid' });
    try {
      const second = await w.postOffer(w.browser(), entitlementId, 'raced@example.test');
      expect(second.status).toBe(200);
      expect(second.sessionId).toBeNull();
      expect(second.text).toContain('Check your email');
    } finally {
      w.ls.addWebhookEndpoint(`${w.t.url}/webhooks/stripe`, { secret: w.webhookSecret });
    }
    expect(await w.grantOfSession(first.sessionId ?? '')).toMatchObject({ active: 1 });
    const open = await db()
      .selectFrom('grants')
      .innerJoin('customers', 'customers.id', 'grants.customer_id')
      .select('grants.id')
      .where('customers.email', '=', 'raced@example.test')
      .execute();
    expect(open).toHaveLength(1);
    await w.mail.waitFor((m) => signInMails('raced@example.test').includes(m), 10_000);
  });

  it('the sign-in link works once, and only in the browser that used it opens the billing portal', async () => {
    const entitlementId = await w.offer('monthly');
    await payingBuyer('manager@example.test', entitlementId);
    await w.postOffer(w.browser(), entitlementId, 'manager@example.test');
    const mail = await w.mail.waitFor((m) => signInMails('manager@example.test').includes(m), 10_000);
    const link = mail.links.find((l) => l.includes('/buyer/sign-in')) ?? '';
    const token = new URL(link).searchParams.get('token') ?? '';

    const owner = w.browser();
    // Opening the link (as a mail scanner would) uses nothing up.
    expect((await owner.get(link)).status).toBe(200);
    expect((await owner.get(link)).text).toContain('Continue');
    const signedIn = await owner.post('/buyer/sign-in', { token });
    expect(signedIn.status).toBe(303);
    expect(signedIn.location).toBe('/buyer');
    const page = await owner.get('/buyer');
    expect(page.status).toBe(200);
    expect(page.text).toContain('Signed in as manager@example.test');
    expect(page.text).toContain('Manage billing');
    const portal = await owner.post('/buyer/portal');
    expect(portal.status).toBe(303);
    expect(portal.location?.startsWith(w.ls.url)).toBe(true);

    const other = w.browser();
    const again = await other.post('/buyer/sign-in', { token });
    expect(again.status).toBe(410);
    expect(again.setCookies).toEqual([]);
    expect((await other.get(link)).status).toBe(410);
    expect((await other.get('/buyer')).status).toBe(401);
    expect((await other.post('/buyer/portal')).status).toBe(401);
    // A page of another site cannot post with the owner's cookie.
    expect((await owner.post('/buyer/portal', {}, { origin: 'https://evil.example' })).status).toBe(401);
  });

  it('a signed-in buyer continues to a fresh checkout, and the success page gives that browser the Connect link', async () => {
    const held = await w.offer('monthly');
    const wanted = await w.offer();
    await payingBuyer('collector@example.test', held);
    await w.postOffer(w.browser(), wanted, 'collector@example.test');
    const mail = await w.mail.waitFor((m) => signInMails('collector@example.test').includes(m), 10_000);
    const token =
      new URL(mail.links.find((l) => l.includes('/buyer/sign-in')) ?? '').searchParams.get('token') ?? '';
    const owner = w.browser();
    await owner.post('/buyer/sign-in', { token });
    const page = await owner.get('/buyer');
    expect(page.text).toContain('Continue to payment');
    const checkout = await owner.post('/buyer/checkout', { entitlement_id: wanted });
    expect(checkout.status).toBe(303);
    const sessionId = new URL(checkout.location ?? '').pathname.split('/').pop() ?? '';
    await w.pay(sessionId);
    const success = await owner.get(`/checkout/success?session_id=${sessionId}`);
    expect(success.text).toContain('/discord/link?token=');
    const grant = await w.grantOfSession(sessionId);
    expect(success.text).toContain(grant.claim_code ?? 'no claim code');
  });

  it('sends at most three sign-in emails per buyer per hour, however often the form is posted', async () => {
    const entitlementId = await w.offer();
    await payingBuyer('flooded@example.test', entitlementId);
    for (let i = 0; i < 5; i++) {
      const res = await w.postOffer(w.browser(), entitlementId, 'flooded@example.test');
      expect(res.text).toContain('Check your email');
      await eventually(
        async () =>
          (await db().selectFrom('jobs').select('id').where('kind', '=', 'buyer.send_sign_in').execute())
            .length === 0,
        10_000,
        'sign-in job done',
      );
    }
    expect(signInMails('flooded@example.test')).toHaveLength(3);
  });
});
