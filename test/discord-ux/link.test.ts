import { afterAll, beforeAll, expect, it } from 'vitest';
import { accessTokenFor, refreshLink } from '../../src/app/buyer/discord-link.js';
import { describeEachBackend } from '../helpers/backends.js';
import { eventually, startUx, type UxHarness } from './harness.js';

describeEachBackend('buyer links Discord (OAuth) from the invitation email', ({ dialect }) => {
  let h: UxHarness;
  beforeAll(async () => {
    h = await startUx(dialect);
  });
  afterAll(() => h.stop());

  const db = () => h.t.app.ctx.db.kysely;
  const linkRow = (customerId: string) =>
    db()
      .selectFrom('discord_links')
      .selectAll()
      .where('customer_id', '=', customerId)
      .executeTakeFirstOrThrow();

  /** A web purchase by email; returns the grant and the invitation email as the SMTP server got it. */
  const webPurchase = async (email: string) => {
    const ent = await h.entitlement({ name: 'Gold club' });
    const r = await h.t.api('/api/grants', { method: 'POST', body: { entitlement_id: ent, email } });
    expect(r.status).toBe(201);
    const mail = await h.mail.waitFor((m) => m.recipients.includes(email), 10_000);
    return {
      id: r.body.id as string,
      code: r.body.claim_code as string,
      customerId: r.body.customer_id as string,
      mail,
    };
  };

  /** A new invitation for the grant (as "Resend invitation" sends); its single-use Connect link. */
  const freshLink = async (grantId: string, email: string) => {
    const seen = h.mail.mails.length;
    expect((await h.t.api(`/api/grants/${grantId}/resend-invitation`, { method: 'POST' })).status).toBe(202);
    const mail = await h.mail.waitFor((m) => m.id > seen && m.recipients.includes(email), 10_000);
    return mail.links.find((l) => l.includes('/discord/link?')) ?? '';
  };

  /** Opens the Connect link like a browser: Rolegate → Discord's consent page (and the nonce cookie). */
  const open = async (linkUrl: string) => {
    const start = await fetch(linkUrl, { redirect: 'manual' });
    expect(start.status).toBe(302);
    const authorize = new URL(start.headers.get('location') ?? '');
    const cookie = (start.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    return { authorize, cookie };
  };

  /** Follows the Connect link like a browser: Rolegate → Discord consent (as `userId`) → callback. */
  const connect = async (linkUrl: string, userId: string, options: { dropCookie?: boolean } = {}) => {
    const { authorize, cookie } = await open(linkUrl);
    const redirectUri = authorize.searchParams.get('redirect_uri') ?? '';
    const code = h.discord.authorizeCode({
      userId,
      scope: authorize.searchParams.get('scope') ?? '',
      redirectUri,
    });
    const state = authorize.searchParams.get('state') ?? '';
    const res = await fetch(`${redirectUri}?code=${code}&state=${encodeURIComponent(state)}`, {
      headers: options.dropCookie ? {} : { cookie },
    });
    return { authorize, res, text: await res.text() };
  };

  it('the invitation email arrives over SMTP with the Connect Discord link and the claim code', async () => {
    const { mail, code } = await webPurchase('reader@example.test');
    expect(mail.from).toContain('shop@example.test');
    expect(mail.subject).toBe('Your Gold club access on Shop: connect Discord');
    expect(mail.text).toContain(`/claim ${code}`);
    expect(mail.links.some((l) => l.startsWith(`${h.t.url}/discord/link?token=`))).toBe(true);
    expect(mail.html).toContain('Connect Discord');
  });

  it('linking stores encrypted tokens and adds a buyer who is not in the server with the roles', async () => {
    const { mail, customerId } = await webPurchase('linker@example.test');
    const outsider = h.discord.createUser({ username: 'outsider' }).id;
    const linkUrl = mail.links.find((l) => l.includes('/discord/link?')) ?? '';
    const { authorize, res, text } = await connect(linkUrl, outsider);
    expect(authorize.origin + authorize.pathname).toBe(`${h.discord.url}/oauth2/authorize`);
    expect(authorize.searchParams.get('scope')).toBe('identify guilds.join');
    expect(authorize.searchParams.get('prompt')).toBe('consent');
    expect(res.status).toBe(200);
    expect(text).toContain('Connected as outsider');

    const row = await linkRow(customerId);
    const access = h.t.app.ctx.secrets.decrypt(row.access_token_enc ?? '');
    const refresh = h.t.app.ctx.secrets.decrypt(row.refresh_token_enc ?? '');
    expect(row.access_token_enc).not.toContain(access);
    expect(row.refresh_token_enc).not.toContain(refresh);
    expect(row.token_expires_at).toBeGreaterThan(Date.now() + 6 * 86_400_000);
    const me = await fetch(`${h.discord.apiBaseUrl}/v10/users/@me`, {
      headers: { authorization: `Bearer ${access}` },
    });
    expect(((await me.json()) as { id: string }).id).toBe(outsider);
    await eventually(
      async () => h.discord.getMember(h.guildId, outsider)?.roles.includes(h.gold),
      15_000,
      'joined with Gold',
    );
  });

  it('a callback from another browser (no cookie) or with a forged state is refused and stores nothing', async () => {
    const { mail, customerId } = await webPurchase('csrf@example.test');
    const linkUrl = mail.links.find((l) => l.includes('/discord/link?')) ?? '';
    const { res } = await connect(linkUrl, h.member('victim'), { dropCookie: true });
    expect(res.status).toBe(400);
    const forged = await fetch(`${h.t.url}/discord/link/callback?code=abc&state=eyJnIjoiZ3J0In0.bad`);
    expect(forged.status).toBe(400);
    expect(
      await db()
        .selectFrom('discord_links')
        .select('customer_id')
        .where('customer_id', '=', customerId)
        .execute(),
    ).toEqual([]);
  });

  it('switching account gives the new account the roles and records the old one for removal', async () => {
    const { mail, customerId, id } = await webPurchase('switcher@example.test');
    const linkUrl = mail.links.find((l) => l.includes('/discord/link?')) ?? '';
    const first = h.member('first-account');
    const second = h.member('second-account');
    await connect(linkUrl, first);
    await eventually(
      async () => h.discord.getMember(h.guildId, first)?.roles.includes(h.gold),
      15_000,
      'first has Gold',
    );
    const { res } = await connect(await freshLink(id, 'switcher@example.test'), second);
    expect(res.status).toBe(200);
    await eventually(
      async () => h.discord.getMember(h.guildId, second)?.roles.includes(h.gold),
      15_000,
      'second has Gold',
    );
    expect((await linkRow(customerId)).discord_user_id).toBe(second);
    const history = await db()
      .selectFrom('discord_link_history')
      .selectAll()
      .where('customer_id', '=', customerId)
      .execute();
    expect(history.map((r) => r.discord_user_id)).toEqual([first]);
  });

  it("switching account removes the old account's roles and gives them to the new one", async () => {
    const { mail, id } = await webPurchase('switch-back@example.test');
    const linkUrl = mail.links.find((l) => l.includes('/discord/link?')) ?? '';
    const first = h.member('old-account');
    const second = h.member('new-account');
    await connect(linkUrl, first);
    await eventually(
      async () => h.discord.getMember(h.guildId, first)?.roles.includes(h.gold),
      15_000,
      'old account has Gold',
    );
    await connect(await freshLink(id, 'switch-back@example.test'), second);
    await eventually(
      async () => h.discord.getMember(h.guildId, second)?.roles.includes(h.gold),
      15_000,
      'new account has Gold',
    );
    await eventually(
      async () => h.discord.getMember(h.guildId, first)?.roles.includes(h.gold) === false,
      15_000,
      'old account lost Gold',
    );
    // The old account stays in the server: a switch is not a revoke.
    expect(h.discord.getMember(h.guildId, first)).not.toBeNull();
  });

  it('a token near expiry is refreshed with the rotated pair; a concurrent refresh does not kill the link', async () => {
    const { mail, customerId } = await webPurchase('refresher@example.test');
    const linkUrl = mail.links.find((l) => l.includes('/discord/link?')) ?? '';
    await connect(linkUrl, h.member('refresher'));
    await db()
      .updateTable('discord_links')
      .set({ token_expires_at: Date.now() + 60_000 })
      .where('customer_id', '=', customerId)
      .execute();
    const stale = await linkRow(customerId);
    const oldAccess = h.t.app.ctx.secrets.decrypt(stale.access_token_enc ?? '');

    // Two workers refresh from the same read: Discord accepts the refresh token once.
    const [a, b] = await Promise.all([refreshLink(h.t.app.ctx, stale), refreshLink(h.t.app.ctx, stale)]);
    const after = await linkRow(customerId);
    expect(after.token_invalid_at).toBeNull();
    expect(after.refresh_token_enc).not.toBe(stale.refresh_token_enc);
    expect(after.token_expires_at).toBeGreaterThan(Date.now() + 6 * 86_400_000);
    const current = h.t.app.ctx.secrets.decrypt(after.access_token_enc ?? '');
    expect(current).not.toBe(oldAccess);
    expect([a, b]).toEqual([current, current]);
    expect(await accessTokenFor(h.t.app.ctx, customerId)).toBe(current);
    // A worker elsewhere that read the row before the rotation: Discord refuses its used refresh
    // token, and it takes the stored pair instead of declaring the link dead.
    expect(await refreshLink(h.t.app.ctx, stale)).toBe(current);
    expect((await linkRow(customerId)).token_invalid_at).toBeNull();
  });

  it('a link Discord reports dead is marked, and a grant still waiting for delivery is owned by the customer', async () => {
    const { mail, id, customerId } = await webPurchase('revoker@example.test');
    const linkUrl = mail.links.find((l) => l.includes('/discord/link?')) ?? '';
    const user = h.member('revoker');
    await connect(linkUrl, user);
    await eventually(
      async () => (await h.t.api(`/api/grants/${id}`)).body.status === 'delivered',
      15_000,
      'delivered',
    );
    h.discord.revokeUserAuthorizations(user);
    // Put the grant back to "waiting" as a new purchase would be, with the access token due for refresh.
    await db().updateTable('grants').set({ status: 'pending' }).where('id', '=', id).execute();
    await db()
      .updateTable('discord_links')
      .set({ token_expires_at: Date.now() })
      .where('customer_id', '=', customerId)
      .execute();

    expect(await accessTokenFor(h.t.app.ctx, customerId)).toBeNull();
    expect((await linkRow(customerId)).token_invalid_at).not.toBeNull();
    const grant = (await h.t.api(`/api/grants/${id}`)).body;
    expect(grant.status).toBe('failed');
    expect(grant.last_error).toMatchObject({ owner: 'customer', code: 'discord_relink_required' });
  });

  it('a used Connect link cannot link another account, and offers a new link sent to the buyer’s own email', async () => {
    const { mail, customerId } = await webPurchase('once@example.test');
    const linkUrl = mail.links.find((l) => l.includes('/discord/link?')) ?? '';
    const owner = h.member('rightful-owner');
    expect((await connect(linkUrl, owner)).res.status).toBe(200);

    // The same email link, opened later in another browser (forwarded mail, shared screen…).
    const again = await fetch(linkUrl, { redirect: 'manual' });
    const page = await again.text();
    expect(again.status).toBe(410);
    expect(page).toContain('already used');
    expect(page).toContain('Send me a new link');
    expect(again.headers.get('location')).toBeNull();
    expect((await linkRow(customerId)).discord_user_id).toBe(owner);

    const seen = h.mail.mails.length;
    const token = new URL(linkUrl).searchParams.get('token') ?? '';
    const resend = await fetch(`${h.t.url}/discord/link/resend`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token }).toString(),
    });
    expect(resend.status).toBe(200);
    expect(await resend.text()).not.toContain('once@example.test');
    const fresh = await h.mail.waitFor(
      (m) => m.id > seen && m.recipients.includes('once@example.test'),
      10_000,
    );
    const freshUrl = fresh.links.find((l) => l.includes('/discord/link?')) ?? '';
    expect(freshUrl).not.toBe(linkUrl);
    expect((await fetch(freshUrl, { redirect: 'manual' })).status).toBe(302);
  });

  it('of two browsers racing through the OAuth round trip with one link, exactly one links', async () => {
    const { mail, customerId } = await webPurchase('race@example.test');
    const linkUrl = mail.links.find((l) => l.includes('/discord/link?')) ?? '';
    const a = await open(linkUrl);
    const b = await open(linkUrl);
    const finish = async (start: { authorize: URL; cookie: string }, userId: string) => {
      const redirectUri = start.authorize.searchParams.get('redirect_uri') ?? '';
      const code = h.discord.authorizeCode({ userId, scope: 'identify guilds.join', redirectUri });
      const state = encodeURIComponent(start.authorize.searchParams.get('state') ?? '');
      const res = await fetch(`${redirectUri}?code=${code}&state=${state}`, {
        headers: { cookie: start.cookie },
      });
      return { status: res.status, text: await res.text() };
    };
    const first = h.member('racer-one');
    const second = h.member('racer-two');
    const [ra, rb] = await Promise.all([finish(a, first), finish(b, second)]);
    expect([ra.status, rb.status].sort()).toEqual([200, 410]);
    const winner = ra.status === 200 ? first : second;
    expect((ra.status === 200 ? rb : ra).text).toContain('Send me a new link');
    expect((await linkRow(customerId)).discord_user_id).toBe(winner);
  });

  it('a malformed, forged or foreign rolegate_link cookie is treated as absent: a 400 page, never a 500', async () => {
    const { mail } = await webPurchase('cookies@example.test');
    const linkUrl = mail.links.find((l) => l.includes('/discord/link?')) ?? '';
    const { authorize, cookie } = await open(linkUrl);
    const nonce = cookie.slice('rolegate_link='.length).split('.')[0] ?? '';
    const state = encodeURIComponent(authorize.searchParams.get('state') ?? '');
    for (const bad of ['%E0%A4%A', '%', nonce, `${nonce}.forged`, '"unterminated', 'a=b=c']) {
      const res = await fetch(`${h.t.url}/discord/link/callback?code=abc&state=${state}`, {
        headers: { cookie: `rolegate_link=${bad}` },
      });
      expect(res.status, bad).toBe(400);
      expect(res.headers.get('content-type')).toContain('text/html');
    }
  });
});
