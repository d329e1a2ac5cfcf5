import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachBackend } from '../helpers/backends.js';
import { startBuyerWorld, type BuyerWorld } from './world.js';

describeEachBackend(
  'the checkout success page shows the Connect link only to the browser that bought',
  ({ dialect }) => {
    let w: BuyerWorld;
    beforeAll(async () => {
      w = await startBuyerWorld(dialect);
    });
    afterAll(() => w.stop());

    it('the browser that started the checkout sees the Connect link and claim code; any other sees "check your email"', async () => {
      const entitlementId = await w.offer();
      const buyer = w.browser();
      const posted = await w.postOffer(buyer, entitlementId, 'own-browser@example.test');
      const setCookie = posted.setCookies.find((c) => c.startsWith('rolegate_checkout='));
      expect(setCookie).toMatch(/HttpOnly/);
      expect(setCookie).toMatch(/SameSite=Lax/);
      await w.pay(posted.sessionId ?? '');
      const grant = await w.grantOfSession(posted.sessionId ?? '');
      const url = `/checkout/success?session_id=${posted.sessionId}`;

      const other = await w.browser().get(url);
      expect(other.status).toBe(200);
      expect(other.text).toContain('Check your email');
      expect(other.text).not.toContain('/discord/link');
      expect(other.text).not.toContain(grant.claim_code ?? 'no claim code');

      const own = await buyer.get(url);
      expect(own.status).toBe(200);
      expect(own.text).toContain('Connect Discord');
      expect(own.text).toContain('/discord/link?token=');
      expect(own.text).toContain(`/claim ${grant.claim_code}`);
      expect(own.headers.get('cache-control')).toBe('no-store');
    });

    it('withholds the link even from the buying browser when the customer has anything it did not buy', async () => {
      const entitlementId = await w.offer();
      const buyer = w.browser();
      const posted = await w.postOffer(buyer, entitlementId, 'shared@example.test');
      // Meanwhile the merchant gives this email a comp grant: linking from this browser would move it.
      const comp = await w.t.api('/api/grants', {
        method: 'POST',
        body: { entitlement_id: await w.offer(), email: 'shared@example.test', source: 'comp' },
      });
      expect(comp.status).toBe(201);
      await w.pay(posted.sessionId ?? '');
      const grant = await w.grantOfSession(posted.sessionId ?? '');
      const page = await buyer.get(`/checkout/success?session_id=${posted.sessionId}`);
      expect(page.text).toContain('Check your email');
      expect(page.text).not.toContain('/discord/link');
      expect(page.text).not.toContain(grant.claim_code ?? 'no claim code');
    });

    it('answers an unknown or malformed session id with the 404 page, never a 500', async () => {
      const b = w.browser();
      for (const id of [
        'abc',
        'cs_test_doesnotexist000000000000000000000000',
        'cs_live_',
        '%00',
        '../../v1/customers',
      ]) {
        const res = await b.get(`/checkout/success?session_id=${encodeURIComponent(id)}`);
        expect(res.status, id).toBe(404);
        expect(res.text).toContain('We could not find this purchase');
      }
      const none = await b.get('/checkout/success');
      expect(none.status).toBe(404);
    });

    it('treats a malformed, forged or tampered rolegate_checkout cookie as absent', async () => {
      const entitlementId = await w.offer();
      const buyer = w.browser();
      const posted = await w.postOffer(buyer, entitlementId, 'cookie@example.test');
      await w.pay(posted.sessionId ?? '');
      const grant = await w.grantOfSession(posted.sessionId ?? '');
      const url = `/checkout/success?session_id=${posted.sessionId}`;
      const signed = buyer.cookie('rolegate_checkout') ?? '';
      for (const value of [
        '%E0%A4%A',
        grant.id,
        `${grant.id}.forged`,
        // Tampered: the last signature character changed (to another one: it may already be '0').
        signed.replace(/.$/, (c) => (c === '0' ? '1' : '0')),
        `"${signed}`,
      ]) {
        const b = w.browser();
        b.setCookie('rolegate_checkout', value);
        const res = await b.get(url);
        expect(res.status, value).toBe(200);
        expect(res.text, value).not.toContain('/discord/link');
      }
    });

    it('buyer pages answer malformed input and cookies with a 4xx, never a 500, and change nothing', async () => {
      const count = async () => ({
        tokens: (await w.t.app.ctx.db.kysely.selectFrom('buyer_tokens').select('id').execute()).length,
        grants: (await w.t.app.ctx.db.kysely.selectFrom('grants').select('id').execute()).length,
      });
      const before = await count();
      const garbage = ['', 'x', '%00', 'a'.repeat(43), '../../etc/passwd', '%E0%A4%A'];
      const b = w.browser();
      for (const bad of garbage) {
        b.setCookie('rolegate_buyer', bad);
        b.setCookie('rolegate_checkout', bad);
        b.setCookie('rolegate_link', bad);
        const refused = [
          await b.get(`/buyer/sign-in?token=${encodeURIComponent(bad)}`),
          await b.post('/buyer/sign-in', { token: bad }),
          await b.get('/buyer'),
          await b.post('/buyer/portal'),
          await b.post('/buyer/checkout', { entitlement_id: bad }),
          await b.post('/buyer/connect'),
          await b.get(`/discord/link?token=${encodeURIComponent(bad)}`),
          await b.get(
            `/discord/link/callback?code=${encodeURIComponent(bad)}&state=${encodeURIComponent(bad)}`,
          ),
        ];
        for (const res of refused) {
          expect(res.status, `${bad}: ${res.text.slice(0, 300)}`).toBeGreaterThanOrEqual(400);
          expect(res.status, bad).toBeLessThan(500);
        }
        // "Send me a new link" answers the same whatever it is given (and here sends nothing).
        for (const form of [{ token: bad }, { ref: bad }]) {
          const res = await b.post('/discord/link/resend', form);
          expect(res.status, bad).toBe(200);
        }
      }
      const forged = w.browser();
      forged.setCookie('rolegate_buyer', 'cus_00000000000000000000000000.-.99999999999999.forgedsignature');
      expect((await forged.get('/buyer')).status).toBe(401);
      expect((await forged.post('/buyer/portal')).status).toBe(401);
      expect(await count()).toEqual(before);
    });
  },
);
