import { expect, it } from 'vitest';
import { DAY_MS } from '../../src/core/clock.js';
import { buy, eachBackend, grantRow, seedOffer, settle, startCheckout } from './harness.js';

await eachBackend('checkout lifecycle', (world) => {
  it('checkout.session.completed paid: an N-day grant becomes active and ends N days later', async () => {
    const w = world();
    const { entitlementId } = await seedOffer(w, { access: 'days', days: 30 });
    const before = Date.now();
    const { grantId } = await buy(w, entitlementId);
    const g = await grantRow(w, grantId);
    expect(g).toMatchObject({ active: 1, status: 'pending', stripe_status: 'paid' });
    expect(g.ends_at).toBeGreaterThanOrEqual(before + 30 * DAY_MS);
    expect(g.ends_at).toBeLessThan(Date.now() + 30 * DAY_MS + 1000);
    expect(JSON.parse(g.stripe_payment_intents)).toHaveLength(1);
  });

  it('checkout.session.completed paid: a lifetime grant becomes active with no end', async () => {
    const w = world();
    const { entitlementId } = await seedOffer(w, { access: 'lifetime' });
    const { grantId } = await buy(w, entitlementId);
    expect(await grantRow(w, grantId)).toMatchObject({ active: 1, ends_at: null });
  });

  it('checkout.session.completed unpaid (delayed method) keeps the grant pending without access', async () => {
    const w = world();
    const { entitlementId } = await seedOffer(w, { access: 'lifetime' });
    const { grantId, sessionId } = await startCheckout(w, entitlementId);
    w.ls.completeCheckout(sessionId, { outcome: 'delayed' });
    await settle(w);
    expect(await grantRow(w, grantId)).toMatchObject({ active: 0, status: 'pending' });
  });

  it('checkout.session.async_payment_succeeded gives access to a pending grant', async () => {
    const w = world();
    const { entitlementId } = await seedOffer(w, { access: 'lifetime' });
    const { grantId, sessionId } = await startCheckout(w, entitlementId);
    w.ls.completeCheckout(sessionId, { outcome: 'delayed' });
    await settle(w);
    w.ls.simulator.asyncPaymentSucceeded(sessionId);
    await settle(w);
    expect(await grantRow(w, grantId)).toMatchObject({ active: 1, status: 'pending' });
  });

  it('checkout.session.async_payment_failed fails the grant and never gives access', async () => {
    const w = world();
    const { entitlementId } = await seedOffer(w, { access: 'lifetime' });
    const { grantId, sessionId } = await startCheckout(w, entitlementId);
    w.ls.completeCheckout(sessionId, { outcome: 'delayed' });
    await settle(w);
    w.ls.simulator.asyncPaymentFailed(sessionId);
    await settle(w);
    expect(await grantRow(w, grantId)).toMatchObject({
      active: 0,
      status: 'failed',
      last_error_owner: 'customer',
    });
  });

  it('checkout.session.expired closes the unpaid pending grant', async () => {
    const w = world();
    const { entitlementId } = await seedOffer(w, { access: 'lifetime' });
    const { grantId, sessionId } = await startCheckout(w, entitlementId);
    w.ls.simulator.expireSession(sessionId);
    await settle(w);
    expect(await grantRow(w, grantId)).toMatchObject({
      active: 0,
      status: 'revoked',
      status_reason: 'checkout_expired',
    });
  });

  it('a buyer who already holds the entitlement is sent to the billing portal, not a second checkout', async () => {
    const w = world();
    const { entitlementId } = await seedOffer(w, { access: 'subscription' });
    const { email } = await buy(w, entitlementId);
    const res = await w.t.api('/api/checkout-sessions', {
      method: 'POST',
      body: { entitlement_id: entitlementId, email },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ kind: 'portal', grant_id: null });
  });

  it('a second checkout for the same buyer is a new session, and the first is expired so only one can be paid', async () => {
    const w = world();
    const { entitlementId } = await seedOffer(w, { access: 'lifetime' });
    const first = await startCheckout(w, entitlementId, 'twice@example.com');
    const second = await startCheckout(w, entitlementId, 'twice@example.com');
    expect(second.sessionId).not.toBe(first.sessionId);
    expect(second.grantId).not.toBe(first.grantId);
    expect(() => w.ls.completeCheckout(first.sessionId, { outcome: 'paid' })).toThrow(/expired/);
    await settle(w);
    expect(await grantRow(w, first.grantId)).toMatchObject({
      status: 'revoked',
      status_reason: 'checkout_replaced',
    });
  });

  it('a sale that ended refuses new checkouts with entitlement_not_for_sale', async () => {
    const w = world();
    const { entitlementId } = await seedOffer(w, { saleEndsAt: Date.now() - 1000 });
    const res = await w.t.api('/api/checkout-sessions', {
      method: 'POST',
      body: { entitlement_id: entitlementId, email: 'late@example.com' },
    });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('entitlement_not_for_sale');
    expect(res.body.error.message).toMatch(/sale .* ended/);
    const page = await fetch(`${w.t.url}/offers/${entitlementId}`);
    expect(page.status).toBe(409);
    expect(await page.text()).toContain('ended');
  });

  it('the offer page shows the price and its form redirects to Stripe Checkout with 303', async () => {
    const w = world();
    const { entitlementId } = await seedOffer(w, { amount: 1500 });
    const page = await fetch(`${w.t.url}/offers/${entitlementId}`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('$15.00 every month');
    const res = await fetch(`${w.t.url}/offers/${entitlementId}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'email=web%40example.com',
      redirect: 'manual',
    });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toContain(w.ls.url);
  });

  it('the success page fulfils the session before its webhook lands', async () => {
    const w = world();
    const { entitlementId } = await seedOffer(w, { access: 'lifetime' });
    const { grantId, sessionId } = await startCheckout(w, entitlementId);
    w.ls.completeCheckout(sessionId, { outcome: 'paid' });
    const page = await fetch(`${w.t.url}/checkout/success?session_id=${sessionId}`);
    const html = await page.text();
    expect(page.status).toBe(200);
    // Started through the API, not in this browser: the link and code went by email.
    expect(html).toContain('Check your email');
    expect(await grantRow(w, grantId)).toMatchObject({ active: 1 });
    await settle(w);
  });

  it('POST /api/grants/:id/portal returns a billing portal url for a paid grant', async () => {
    const w = world();
    const { entitlementId } = await seedOffer(w);
    const { grantId } = await buy(w, entitlementId);
    const res = await w.t.api(`/api/grants/${grantId}/portal`, { method: 'POST' });
    expect(res.status).toBe(200);
    expect(res.body.url).toMatch(/^http/);
  });
});
