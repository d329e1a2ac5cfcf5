import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dialect } from '../../src/adapters/store/db.js';
import { reconcileStripe } from '../../src/app/billing/stripe-reconcile.js';
import { startLocalStripe, type LocalStripe } from '@rolegate/local-stripe';
import { backends } from '../helpers/backends.js';
import { postgresUnavailable } from '../helpers/db.js';
import { eventually } from '../helpers/app.js';
import { startHarness, type Harness } from '../discord/harness.js';
import { Receiver } from '../webhooks/receiver.js';
import { stripeProcessEventJob } from '../../src/app/billing/jobs.js';

const pgReason = await postgresUnavailable();

/**
 * The whole path with both platforms running locally: a buyer in the Discord server checks out
 * (as the roles-channel button does: by Discord user id), pays on the local Stripe, and gets the
 * role from the local Discord; the merchant's webhooks tell that story in order.
 */
for (const dialect of backends as Dialect[]) {
  const suite = dialect === 'postgres' && pgReason ? describe.skip : describe;
  suite(`entitlement_grant.created: a grant is announced when it first confers access [${dialect}]`, () => {
    let h: Harness;
    let ls: LocalStripe;
    let receiver: Receiver;
    let entitlementId: string;
    const stripeSecret = `whsec_${randomBytes(24).toString('hex')}`;
    const stripeHook = () => `${h.t.url}/webhooks/stripe`;

    beforeAll(async () => {
      ls = await startLocalStripe({ sweepIntervalMs: null });
      h = await startHarness(dialect, {
        env: { STRIPE_SECRET_KEY: ls.secretKey, STRIPE_API_URL: ls.url, STRIPE_WEBHOOK_SECRET: stripeSecret },
      });
      ls.addWebhookEndpoint(stripeHook(), { secret: stripeSecret });
      receiver = await new Receiver().start();
      await h.t.api('/api/webhook-endpoints', { method: 'POST', body: { url: `${receiver.url}/hook` } });
      entitlementId = await h.entitlement([h.gold], {
        prices: [{ kind: 'recurring', amount: 500, currency: 'usd', interval: 'month' }],
        access: { kind: 'subscription' },
      });
    });
    afterAll(async () => {
      await h.stop();
      await ls.close();
      await receiver.stop();
    });

    const db = () => h.t.app.ctx.db.kysely;
    const grant = (id: string) =>
      db().selectFrom('grants').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

    /** Merchant webhooks written for one grant, oldest first. */
    async function webhooksFor(grantId: string) {
      const rows = await db()
        .selectFrom('webhook_deliveries')
        .select(['event_type', 'payload'])
        .where('payload', 'like', `%${grantId}%`)
        .orderBy('created_at')
        .orderBy('id')
        .execute();
      return rows.map((r) => ({
        type: r.event_type,
        data: (JSON.parse(r.payload) as { data: Record<string, unknown> }).data,
      }));
    }

    async function settleStripe() {
      await ls.flushDeliveries();
      await eventually(
        async () => {
          const jobs = await db()
            .selectFrom('jobs')
            .select('id')
            .where('kind', '=', stripeProcessEventJob.kind)
            .execute();
          const open = await db()
            .selectFrom('inbox_events')
            .select('id')
            .where('processed_at', 'is', null)
            .execute();
          return jobs.length === 0 && open.length === 0;
        },
        15_000,
        'stripe events processed',
      );
    }

    async function checkout(buyer: string) {
      const res = await h.t.api('/api/checkout-sessions', {
        method: 'POST',
        body: { entitlement_id: entitlementId, discord_user_id: buyer },
      });
      expect(res.status).toBe(200);
      const grantId = res.body.grant_id as string;
      return { grantId, sessionId: (await grant(grantId)).stripe_checkout_session_id! };
    }

    it('a checkout announces nothing until it is paid; then created comes before delivered', async () => {
      const buyer = h.discord.createUser({ username: 'payer' }).id;
      h.discord.addMember(h.guildId, buyer);
      const { grantId, sessionId } = await checkout(buyer);
      expect(await webhooksFor(grantId)).toEqual([]);

      ls.completeCheckout(sessionId, { outcome: 'paid', email: 'buyer@example.com' });
      await settleStripe();
      await h.waitStatus(grantId, 'delivered');
      const hooks = await webhooksFor(grantId);
      expect(hooks.map((x) => x.type)).toEqual(['entitlement_grant.created', 'entitlement_grant.delivered']);
      expect(hooks[0]!.data).toMatchObject({ id: grantId, active: true, stripe_status: 'active' });
      expect(hooks[1]!.data).toMatchObject({ status: 'delivered', granted_role_ids: [h.gold] });
    });

    it('an abandoned checkout that expires announces nothing at all', async () => {
      const buyer = h.discord.createUser({ username: 'browser' }).id;
      const { grantId, sessionId } = await checkout(buyer);
      ls.simulator.expireSession(sessionId);
      await settleStripe();
      expect(await grant(grantId)).toMatchObject({ status: 'revoked', status_reason: 'checkout_expired' });
      expect(await webhooksFor(grantId)).toEqual([]);
    });

    it('a payment whose webhook was lost is announced once, by the Stripe reconcile', async () => {
      const buyer = h.discord.createUser({ username: 'unlucky' }).id;
      h.discord.addMember(h.guildId, buyer);
      const { grantId, sessionId } = await checkout(buyer);
      ls.removeWebhookEndpoint(stripeHook());
      try {
        ls.completeCheckout(sessionId, { outcome: 'paid', email: 'buyer@example.com' });
      } finally {
        ls.addWebhookEndpoint(stripeHook(), { secret: stripeSecret });
      }
      expect(await grant(grantId)).toMatchObject({ active: 0 });
      await reconcileStripe(h.t.app.ctx);
      await reconcileStripe(h.t.app.ctx);
      await h.waitStatus(grantId, 'delivered');
      const types = (await webhooksFor(grantId)).map((x) => x.type);
      expect(types).toEqual(['entitlement_grant.created', 'entitlement_grant.delivered']);
    });

    it('a revoke by hand: revoked carries the billing choice; the roles removed and the cancel follow as updates', async () => {
      const buyer = h.discord.createUser({ username: 'leaver' }).id;
      h.discord.addMember(h.guildId, buyer);
      const { grantId, sessionId } = await checkout(buyer);
      ls.completeCheckout(sessionId, { outcome: 'paid', email: 'buyer@example.com' });
      await settleStripe();
      await h.waitStatus(grantId, 'delivered');

      const res = await h.t.api(`/api/grants/${grantId}/revoke`, { method: 'POST', body: {} });
      expect(res.body).toMatchObject({ status: 'revoked', revoke_billing: 'cancel_now' });
      await eventually(
        async () => {
          const g = await grant(grantId);
          return g.revoke_billing_status === 'done' && g.granted_role_ids === '[]';
        },
        15_000,
        'roles removed and billing canceled',
      );
      await settleStripe();
      expect(h.memberRoles(buyer)).toEqual([]);
      expect(await grant(grantId)).toMatchObject({ status: 'revoked', stripe_status: 'canceled' });

      const hooks = await webhooksFor(grantId);
      expect(hooks.slice(0, 3).map((x) => x.type)).toEqual([
        'entitlement_grant.created',
        'entitlement_grant.delivered',
        'entitlement_grant.revoked',
      ]);
      expect(hooks[2]!.data).toMatchObject({
        revoke_billing: 'cancel_now',
        revoke_billing_status: 'pending',
      });
      const updates = hooks.slice(3);
      expect(updates.map((x) => x.type)).toEqual(['entitlement_grant.updated', 'entitlement_grant.updated']);
      expect(updates.map((x) => x.data)).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ granted_role_ids: [] }),
          expect.objectContaining({ revoke_billing_status: 'done', stripe_status: 'canceled' }),
        ]),
      );
    });
  });
}
