import Stripe from 'stripe';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachBackend } from '../helpers/backends.js';
import { eventually } from '../helpers/app.js';
import type { CookieBrowser, PageResponse } from '../helpers/browser-client.js';
import { startBuyerWorld, type BuyerWorld } from './world.js';

describeEachBackend('plan changes from the customer portal (decision 0022)', ({ dialect }) => {
  let w: BuyerWorld;
  let basic: string;
  let premium: string;
  beforeAll(async () => {
    w = await startBuyerWorld(dialect);
    basic = await w.entitlement({
      name: 'Silver',
      role_ids: [w.silver],
      prices: [{ kind: 'recurring', amount: 500, currency: 'usd', interval: 'month' }],
    });
    premium = await w.entitlement({
      name: 'Gold',
      role_ids: [w.gold],
      prices: [{ kind: 'recurring', amount: 1500, currency: 'usd', interval: 'month' }],
    });
    const offered = await w.t.api(`/api/entitlements/${basic}/moves`, {
      method: 'PUT',
      body: { moves: [{ to_entitlement_id: premium, kind: 'upgrade' }] },
    });
    if (offered.status !== 200) throw new Error(`moves: ${offered.status}`);
  });
  afterAll(() => w.stop());

  const db = () => w.t.app.ctx.db.kysely;
  const csrfOf = (page: PageResponse) => /name="csrf" value="([^"]+)"/.exec(page.text)?.[1] ?? '';
  const grantOf = (id: string) =>
    db()
      .selectFrom('grants')
      .select(['entitlement_id', 'stripe_subscription_id', 'customer_id'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
  const roles = (userId: string) => w.discord.getMember(w.guildId, userId)?.roles ?? [];

  /** Pays `entitlementId` by email, signs into the portal from the mail, connects `username`'s Discord. */
  async function linkedBuyer(email: string, username: string) {
    const posted = await w.postOffer(w.browser(), basic, email);
    await w.pay(posted.sessionId ?? '');
    const grant = await w.grantOfSession(posted.sessionId ?? '');
    const b = w.browser();
    const seen = new Set(w.mail.mails);
    await b.post('/portal/sign-in/email', { email });
    const mail = await w.mail.waitFor(
      (m) =>
        !seen.has(m) && m.recipients.includes(email) && m.links.some((l) => l.includes('/portal/sign-in?')),
    );
    const link = mail.links.find((l) => l.includes('/portal/sign-in?')) ?? '';
    await b.post('/portal/sign-in', { token: new URL(link).searchParams.get('token') ?? '' });
    const page = await b.get('/portal');
    const user = w.member(username);
    const started = await b.post('/portal/connect', { csrf: csrfOf(page), customer_id: grant.customer_id });
    await consent(b, started.location ?? '', user);
    await eventually(() => Promise.resolve(roles(user).includes(w.silver) || null), 15_000, 'silver given');
    return { b, grantId: grant.id, user };
  }

  async function consent(b: CookieBrowser, location: string, userId: string) {
    const authorize = new URL(location);
    const redirectUri = authorize.searchParams.get('redirect_uri') ?? '';
    const code = w.discord.authorizeCode({
      userId,
      scope: authorize.searchParams.get('scope') ?? '',
      redirectUri,
    });
    return b.get(
      `${redirectUri}?code=${code}&state=${encodeURIComponent(authorize.searchParams.get('state') ?? '')}`,
    );
  }

  it('the merchant offers moves through the API; a wrong one is refused with the reason and changes nothing', async () => {
    const moves = (id: string) => w.t.api(`/api/entitlements/${id}/moves`);
    const put = (id: string, body: unknown) =>
      w.t.api(`/api/entitlements/${id}/moves`, { method: 'PUT', body });
    expect((await moves(basic)).body).toEqual({
      entitlement_id: basic,
      moves: [{ to_entitlement_id: premium, kind: 'upgrade' }],
    });
    expect((await moves(premium)).body).toEqual({ entitlement_id: premium, moves: [] });
    const wrongKind = await put(premium, { moves: [{ to_entitlement_id: basic, kind: 'switch' }] });
    expect(wrongKind.status).toBe(400);
    expect(JSON.stringify(wrongKind.body)).toContain('downgrade');
    const unknown = await put(premium, {
      moves: [{ to_entitlement_id: 'ent_00000000000000000000000000', kind: 'downgrade' }],
    });
    expect(unknown.status).toBe(404);
    const badKind = await put(premium, { moves: [{ to_entitlement_id: basic, kind: 'sideways' }] });
    expect(badKind.status).toBe(400);
    expect((await moves(premium)).body).toEqual({ entitlement_id: premium, moves: [] });

    const set = await put(premium, {
      moves: [
        { to_entitlement_id: basic, kind: 'downgrade' },
        { to_entitlement_id: premium, kind: 'switch' },
      ],
    });
    expect(set.status).toBe(200);
    expect((await moves(premium)).body).toEqual({
      entitlement_id: premium,
      moves: [
        { to_entitlement_id: basic, kind: 'downgrade' },
        { to_entitlement_id: premium, kind: 'switch' },
      ],
    });
  });

  it('an upgrade whose payment is declined changes nothing until the invoice is paid; then the roles swap', async () => {
    const { b, grantId, user } = await linkedBuyer('upgrade@example.test', 'upgrader');
    const overview = await b.get('/portal');
    expect(overview.text).toContain('Change plan');
    const choices = await b.get(`/portal/plan?grant_id=${grantId}`);
    expect(choices.status).toBe(200);
    expect(choices.text).toContain('Silver — $5.00 / month');
    expect(choices.text).toContain('Upgrade');
    const premiumPriceId = /name="price_id" value="([^"]+)"/.exec(choices.text)?.[1] ?? '';

    const { stripe_subscription_id: subId } = await grantOf(grantId);
    w.ls.simulator.declineNextPayment(subId ?? '');
    const declined = await b.post('/portal/plan', {
      csrf: csrfOf(choices),
      grant_id: grantId,
      price_id: premiumPriceId,
    });
    expect(declined.location).toBe('/portal?done=plan_pending');
    await w.settle();
    expect((await grantOf(grantId)).entitlement_id).toBe(basic);
    expect(roles(user)).toContain(w.silver);
    expect(roles(user)).not.toContain(w.gold);
    expect((await b.get('/portal')).text).toContain('waits for its payment');

    const stripe = new Stripe(w.ls.secretKey, { ...w.ls.stripeConfig, maxNetworkRetries: 0 });
    const sub = await stripe.subscriptions.retrieve(subId ?? '');
    await stripe.invoices.pay(String(sub.latest_invoice));
    await w.settle();
    await eventually(
      async () => ((await grantOf(grantId)).entitlement_id === premium ? true : null),
      15_000,
      'grant moved to the premium entitlement',
    );
    await eventually(
      () => Promise.resolve(roles(user).includes(w.gold) && !roles(user).includes(w.silver) ? true : null),
      15_000,
      'roles swapped',
    );
  });

  it('a paid upgrade swaps the roles; another buyer’s purchase and a plan not offered are refused', async () => {
    const { b, grantId, user } = await linkedBuyer('upgrade2@example.test', 'upgrader2');
    const choices = await b.get(`/portal/plan?grant_id=${grantId}`);
    const priceId = /name="price_id" value="([^"]+)"/.exec(choices.text)?.[1] ?? '';
    const notOffered = await b.post('/portal/plan', {
      csrf: csrfOf(choices),
      grant_id: grantId,
      price_id: 'price_nope',
    });
    expect(notOffered.status).toBe(422);
    expect(notOffered.text).toContain('not offered');

    const other = await linkedBuyer('bystander@example.test', 'bystander');
    const foreign = await b.get(`/portal/plan?grant_id=${other.grantId}`);
    expect(foreign.status).toBe(404);
    const foreignPost = await b.post('/portal/plan', {
      csrf: csrfOf(choices),
      grant_id: other.grantId,
      price_id: priceId,
    });
    expect(foreignPost.status).toBe(404);
    expect((await grantOf(other.grantId)).entitlement_id).toBe(basic);

    const changed = await b.post('/portal/plan', {
      csrf: csrfOf(choices),
      grant_id: grantId,
      price_id: priceId,
    });
    expect(changed.location).toBe('/portal?done=plan_changed');
    expect((await grantOf(grantId)).entitlement_id).toBe(premium);
    await eventually(
      () => Promise.resolve(roles(user).includes(w.gold) && !roles(user).includes(w.silver) ? true : null),
      15_000,
      'roles swapped',
    );
    expect(roles(other.user)).toContain(w.silver);
  });
});
