import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachBackend } from '../helpers/backends.js';
import { eventually } from '../helpers/app.js';
import type { CookieBrowser, PageResponse } from '../helpers/browser-client.js';
import { startBuyerWorld, type BuyerWorld } from './world.js';

describeEachBackend('the customer portal', ({ dialect }) => {
  let w: BuyerWorld;
  beforeAll(async () => {
    w = await startBuyerWorld(dialect);
  });
  afterAll(() => w.stop());

  const db = () => w.t.app.ctx.db.kysely;
  const connectLinks = async (customerId: string) =>
    (
      await db()
        .selectFrom('buyer_tokens')
        .select('id')
        .where('customer_id', '=', customerId)
        .where('purpose', '=', 'connect')
        .execute()
    ).length;
  const csrfOf = (page: PageResponse) => /name="csrf" value="([^"]+)"/.exec(page.text)?.[1] ?? '';

  /** A buyer who paid a monthly offer from the web; their grant. */
  const buyer = async (email: string, entitlementId: string) => {
    const posted = await w.postOffer(w.browser(), entitlementId, email);
    await w.pay(posted.sessionId ?? '');
    return w.grantOfSession(posted.sessionId ?? '');
  };

  /** Asks for a sign-in link, opens it from the mail, confirms: a browser signed into the portal. */
  const signIn = async (email: string) => {
    const b = w.browser();
    const seen = new Set(w.mail.mails);
    const asked = await b.post('/portal/sign-in/email', { email });
    expect(asked.status).toBe(200);
    expect(asked.text).toContain('Check your email');
    const mail = await w.mail.waitFor(
      (m) =>
        !seen.has(m) && m.recipients.includes(email) && m.links.some((l) => l.includes('/portal/sign-in?')),
    );
    const link = mail.links.find((l) => l.includes('/portal/sign-in?')) ?? '';
    const opened = await b.get(link);
    expect(opened.status).toBe(200);
    const confirmed = await b.post('/portal/sign-in', {
      token: new URL(link).searchParams.get('token') ?? '',
    });
    expect(confirmed.status).toBe(303);
    return { b, link, mail, page: await b.get('/portal') };
  };

  /** Follows Rolegate's redirect to Discord as `userId` and back to the callback, in browser `b`. */
  const consent = async (b: CookieBrowser, location: string, userId: string) => {
    const authorize = new URL(location);
    const redirectUri = authorize.searchParams.get('redirect_uri') ?? '';
    const code = w.discord.authorizeCode({
      userId,
      scope: authorize.searchParams.get('scope') ?? '',
      redirectUri,
    });
    const state = encodeURIComponent(authorize.searchParams.get('state') ?? '');
    return b.get(`${redirectUri}?code=${code}&state=${state}`);
  };

  it('signs in by a single-use emailed link (multipart, with the merchant name) and shows the purchase in words', async () => {
    const entitlementId = await w.offer('monthly');
    await buyer('portal-a@example.test', entitlementId);
    const { b, link, mail, page } = await signIn('portal-a@example.test');
    expect(mail.html).toContain('<a href=');
    expect(mail.text).toContain(link);
    expect(page.status).toBe(200);
    expect(page.text).toMatch(/Active — renews on \d{1,2} \w+ \d{4}/);
    expect(page.text).toContain('No Discord account is connected yet');
    expect(page.text).toContain('/invoices/'); // the receipt of the first payment
    expect(page.headers.get('set-cookie')).toBeNull();

    const again = await w
      .browser()
      .post('/portal/sign-in', { token: new URL(link).searchParams.get('token') ?? '' });
    expect(again.status).toBe(410);
    expect(again.text).toContain('already used');
    expect(again.text).toContain('Email me a sign-in link');
    expect((await b.get('/portal')).text).toContain('Your purchases');
  });

  it('an expired link says so and offers a new one', async () => {
    const entitlementId = await w.offer('monthly');
    await buyer('portal-exp@example.test', entitlementId);
    const b = w.browser();
    await b.post('/portal/sign-in/email', { email: 'portal-exp@example.test' });
    const mail = await w.mail.waitFor(
      (m) =>
        m.recipients.includes('portal-exp@example.test') &&
        m.links.some((l) => l.includes('/portal/sign-in?')),
    );
    const link = mail.links.find((l) => l.includes('/portal/sign-in?')) ?? '';
    await db()
      .updateTable('buyer_tokens')
      .set({ expires_at: Date.now() - 1 })
      .where('purpose', '=', 'portal')
      .execute();
    const opened = await b.get(link);
    expect(opened.status).toBe(410);
    expect(opened.text).toContain('expired');
    expect(opened.text).toContain('Email me a sign-in link');
  });

  it("a session sees only its own purchases: another buyer's grant or customer ids are not found and change nothing", async () => {
    const entitlementId = await w.offer('monthly');
    const victim = await buyer('victim@example.test', entitlementId);
    await buyer('other@example.test', entitlementId);
    const { b, page } = await signIn('other@example.test');
    const csrf = csrfOf(page);
    expect(page.text).not.toContain('victim@example.test');
    const linksBefore = await connectLinks(victim.customer_id);
    for (const path of ['/portal/cancel', '/portal/regain', '/portal/resume']) {
      const res = await b.post(path, { csrf, grant_id: victim.id });
      expect(res.status, path).toBe(404);
    }
    for (const path of ['/portal/connect', '/portal/billing']) {
      const res = await b.post(path, { csrf, customer_id: victim.customer_id });
      expect(res.status, path).toBe(404);
    }
    const grant = await db()
      .selectFrom('grants')
      .selectAll()
      .where('id', '=', victim.id)
      .executeTakeFirstOrThrow();
    expect(grant.stripe_cancel_at).toBeNull();
    expect(await connectLinks(victim.customer_id)).toBe(linksBefore);
  });

  it('refuses a POST without the CSRF token, from another site, or without a session', async () => {
    const entitlementId = await w.offer('monthly');
    const grant = await buyer('csrf@example.test', entitlementId);
    const { b, page } = await signIn('csrf@example.test');
    expect((await b.post('/portal/cancel', { grant_id: grant.id })).status).toBe(403);
    expect((await b.post('/portal/cancel', { csrf: 'x'.repeat(43), grant_id: grant.id })).status).toBe(403);
    const cross = await b.post(
      '/portal/cancel',
      { csrf: csrfOf(page), grant_id: grant.id },
      { origin: 'https://evil.example' },
    );
    expect(cross.status).toBe(403);
    expect(
      (await w.browser().post('/portal/cancel', { csrf: csrfOf(page), grant_id: grant.id })).status,
    ).toBe(401);
    const row = await db()
      .selectFrom('grants')
      .select('stripe_cancel_at')
      .where('id', '=', grant.id)
      .executeTakeFirstOrThrow();
    expect(row.stripe_cancel_at).toBeNull();
  });

  it('cancel keeps access until the period ends, resume renews again', async () => {
    const entitlementId = await w.offer('monthly');
    const grant = await buyer('cancel@example.test', entitlementId);
    const { b, page } = await signIn('cancel@example.test');
    const cancelled = await b.post('/portal/cancel', { csrf: csrfOf(page), grant_id: grant.id });
    expect(cancelled.location).toBe('/portal?done=cancelled');
    const after = await b.get('/portal?done=cancelled');
    expect(after.text).toMatch(/Active until \d{1,2} \w+ \d{4}; it does not renew/);
    expect(after.text).toContain('Keep my subscription');
    await w.settle();
    expect(
      (
        await w.grantOfSession(
          (
            await db()
              .selectFrom('grants')
              .select('stripe_checkout_session_id')
              .where('id', '=', grant.id)
              .executeTakeFirstOrThrow()
          ).stripe_checkout_session_id ?? '',
        )
      ).active,
    ).toBe(1);
    const resumed = await b.post('/portal/resume', { csrf: csrfOf(after), grant_id: grant.id });
    expect(resumed.location).toBe('/portal?done=resumed');
    expect((await b.get('/portal')).text).toMatch(/renews on/);
  });

  it('connects Discord from the portal, shows the role held, and Regain access brings back a member who left', async () => {
    const entitlementId = await w.offer('monthly');
    await buyer('connect@example.test', entitlementId);
    const { b, page } = await signIn('connect@example.test');
    const user = w.discord.createUser({ username: 'portal_connect' }).id;
    const started = await b.post('/portal/connect', {
      csrf: csrfOf(page),
      customer_id: /name="customer_id" value="([^"]+)"/.exec(page.text)?.[1] ?? '',
    });
    expect(started.status).toBe(303);
    const back = await consent(b, started.location ?? '', user);
    expect(back.location).toBe('/portal?done=connected');
    await eventually(
      () => Promise.resolve(w.discord.getMember(w.guildId, user)?.roles.includes(w.gold) ? true : null),
      15_000,
      'role given',
    );
    const connected = await b.get('/portal');
    expect(connected.text).toContain('portal_connect');
    expect(connected.text).toContain('(you have it)');

    w.discord.memberLeaves(w.guildId, user);
    const left = await b.get('/portal');
    expect(left.text).toContain('Not in the');
    const regain = await b.post('/portal/regain', {
      csrf: csrfOf(left),
      grant_id: /name="grant_id" value="([^"]+)"/.exec(left.text)?.[1] ?? '',
    });
    expect(regain.location).toBe('/portal?done=regain');
    await eventually(
      () => Promise.resolve(w.discord.getMember(w.guildId, user)?.roles.includes(w.gold) ? true : null),
      15_000,
      'back with the role',
    );
  });

  it('signs in with Discord: the purchases of the customers linked to that account; none → says so', async () => {
    const b = w.browser();
    const start = await b.get('/portal/sign-in/discord');
    expect(start.status).toBe(302);
    const stranger = w.discord.createUser({ username: 'no_purchases' }).id;
    const none = await consent(b, start.location ?? '', stranger);
    expect(none.status).toBe(404);
    expect(none.text).toContain('No purchase is connected');

    const linked = await db()
      .selectFrom('customers')
      .select('discord_user_id')
      .where('email', '=', 'connect@example.test')
      .executeTakeFirst();
    if (!linked?.discord_user_id) return; // the connect test above did not run in this order
    const again = await b.get('/portal/sign-in/discord');
    const signedIn = await consent(b, again.location ?? '', linked.discord_user_id);
    expect(signedIn.location).toBe('/portal');
    const page = await b.get('/portal');
    expect(page.text).toContain('Signed in as Discord: portal_connect');
    expect(page.text).toContain('(you have it)');
  });
});
