import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueSetupLink } from '../../src/app/admin/admins.js';
import { hashToken } from '../../src/app/admin/sessions.js';
import { startHarness, type Harness } from '../discord/harness.js';
import { CookieJar, signInThroughDiscord } from './browser-session.js';

describe('dashboard sign-in: first-run claim, invitations, sessions and CSRF', () => {
  let h: Harness;
  let setupToken: string;
  let owner: CookieJar;
  let ownerId: string;
  beforeAll(async () => {
    h = await startHarness('sqlite');
    const link = await issueSetupLink(h.t.app.ctx);
    setupToken = new URL(link ?? '').searchParams.get('invite') ?? '';
    ownerId = h.discord.createUser({ username: 'merchant' }).id;
    owner = new CookieJar(h.t.url);
  });
  afterAll(() => h?.stop());

  const db = () => h.t.app.ctx.db.kysely;
  const adminCount = async () => (await db().selectFrom('admins').select('id').execute()).length;

  it('without an invitation, a Discord user who is not an admin is refused and gets no session', async () => {
    const stranger = new CookieJar(h.t.url);
    const res = await signInThroughDiscord(stranger, h.discord, h.discord.createUser({ username: 'eve' }).id);
    expect(res.status).toBe(403);
    expect(await res.text()).toMatch(/not an admin/);
    expect(stranger.cookies.has('rolegate_session')).toBe(false);
    expect(await adminCount()).toBe(0);
  });

  it('the first-run link makes whoever signs in with it the first admin, with a hardened session cookie', async () => {
    const res = await signInThroughDiscord(owner, h.discord, ownerId, setupToken);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/setup');
    const cookie = owner.lastSetCookie.find((c) => c.startsWith('rolegate_session=')) ?? '';
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    expect(cookie).toMatch(/Path=\//);
    const me = await owner.json('/api/session');
    expect(me.status).toBe(200);
    expect(me.body?.admin).toMatchObject({
      discord_user_id: ownerId,
      username: 'merchant',
      invited_by: null,
    });
    // The API accepts the session like an API key.
    expect((await owner.json('/api/servers')).status).toBe(200);
  });

  it('the token is stored hashed only', async () => {
    const raw = decodeURIComponent(owner.cookies.get('rolegate_session') ?? '');
    const token = raw.slice(0, raw.lastIndexOf('.'));
    const rows = await db().selectFrom('admin_sessions').select(['token_hash']).execute();
    expect(rows.map((r) => r.token_hash)).toContain(hashToken(token));
    expect(JSON.stringify(rows)).not.toContain(token);
  });

  it('the setup link works once: a second person using it is refused', async () => {
    const other = new CookieJar(h.t.url);
    const res = await signInThroughDiscord(
      other,
      h.discord,
      h.discord.createUser({ username: 'late' }).id,
      setupToken,
    );
    expect(res.status).toBe(403);
    expect(await adminCount()).toBe(1);
    expect(await issueSetupLink(h.t.app.ctx)).toBeNull();
  });

  it('a cookie-authenticated write without the CSRF token is refused and changes nothing', async () => {
    const before = (await owner.json('/api/api-keys')).body?.data.length;
    const res = await owner.json('/api/api-keys', { method: 'POST', body: { name: 'ci' } });
    expect(res.status).toBe(403);
    expect(res.body?.error.code).toBe('forbidden');
    const wrong = await owner.json('/api/api-keys', {
      method: 'POST',
      body: { name: 'ci' },
      headers: { 'x-csrf-token': 'not-the-token' },
    });
    expect(wrong.status).toBe(403);
    expect((await owner.json('/api/api-keys')).body?.data.length).toBe(before);
  });

  it('with the CSRF token the dashboard creates an API key that works, and revokes it', async () => {
    const created = await owner.write('/api/api-keys', { body: { name: 'ci' } });
    expect(created.status).toBe(201);
    const key = String(created.body?.key);
    const withKey = await fetch(`${h.t.url}/api/servers`, { headers: { authorization: `Bearer ${key}` } });
    expect(withKey.status).toBe(200);
    // A key needs no CSRF token: browsers never attach Authorization on their own.
    const write = await fetch(`${h.t.url}/api/api-keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'from a program' }),
    });
    expect(write.status).toBe(201);
    const revoked = await owner.write(`/api/api-keys/${String(created.body?.id)}`, { method: 'DELETE' });
    expect(revoked.status).toBe(200);
    const after = await fetch(`${h.t.url}/api/servers`, { headers: { authorization: `Bearer ${key}` } });
    expect(after.status).toBe(401);
    const badName = await owner.write('/api/api-keys', { body: { name: '' } });
    expect(badName.status).toBe(400);
  });

  it('an invitation makes its user an admin once; sessions can be listed and the others revoked', async () => {
    const invite = await owner.write('/api/admin-invitations');
    expect(invite.status).toBe(201);
    const token = new URL(String(invite.body?.url)).searchParams.get('invite') ?? '';
    const friendId = h.discord.createUser({ username: 'friend' }).id;
    const friend = new CookieJar(h.t.url);
    expect((await signInThroughDiscord(friend, h.discord, friendId, token)).status).toBe(303);
    expect((await friend.json('/api/session')).body?.admin.invited_by).toMatch(/^adm_/);
    const reuse = new CookieJar(h.t.url);
    const again = await signInThroughDiscord(
      reuse,
      h.discord,
      h.discord.createUser({ username: 'x' }).id,
      token,
    );
    expect(again.status).toBe(403);

    // The owner signs in on a second browser, then ends every other session from the first.
    const laptop = new CookieJar(h.t.url);
    expect((await signInThroughDiscord(laptop, h.discord, ownerId)).status).toBe(303);
    const list = await owner.json('/api/sessions');
    expect(list.body?.data).toHaveLength(2);
    expect(list.body?.data.filter((s: { current: boolean }) => s.current)).toHaveLength(1);
    expect((await owner.write('/api/sessions/revoke-others')).body).toEqual({ revoked: 1 });
    expect((await laptop.json('/api/servers')).status).toBe(401);
    expect((await friend.json('/api/servers')).status).toBe(200);
  });

  it('a session token rotates while in use; the old one works for a grace period, then not', async () => {
    const jar = new CookieJar(h.t.url);
    await signInThroughDiscord(jar, h.discord, ownerId);
    const old = jar.cookies.get('rolegate_session') ?? '';
    const me = await jar.json('/api/session');
    await db()
      .updateTable('admin_sessions')
      .set({ rotated_at: Date.now() - 11 * 60_000 })
      .where('id', '=', String(me.body?.session_id))
      .execute();
    expect((await jar.json('/api/servers')).status).toBe(200);
    const fresh = jar.cookies.get('rolegate_session') ?? '';
    expect(fresh).not.toBe(old);
    const oldJar = new CookieJar(h.t.url);
    oldJar.cookies.set('rolegate_session', old);
    expect((await oldJar.json('/api/servers')).status).toBe(200);
    await db()
      .updateTable('admin_sessions')
      .set({ previous_valid_until: Date.now() - 1 })
      .where('id', '=', String(me.body?.session_id))
      .execute();
    expect((await oldJar.json('/api/servers')).status).toBe(401);
    expect((await jar.json('/api/servers')).status).toBe(200);
  });

  it('a callback whose state this browser did not start signs nobody in', async () => {
    const jar = new CookieJar(h.t.url);
    const code = h.discord.authorizeCode({
      userId: ownerId,
      scope: 'identify',
      redirectUri: `${h.t.url}/auth/discord/callback`,
    });
    const res = await jar.fetch(`/auth/discord/callback?code=${code}&state=forged`);
    expect(res.status).toBe(400);
    expect(jar.cookies.has('rolegate_session')).toBe(false);
  });

  it('a bot install asked for by a session only completes in that session’s browser', async () => {
    const guild = h.discord.createGuild({ name: 'Dashboard install' });
    const installFor = async () => {
      const res = await owner.json('/api/servers/install-url');
      return new URL(String(res.body?.url)).searchParams.get('state') ?? '';
    };
    const codeFor = () =>
      h.discord.authorizeCode({
        userId: guild.ownerId,
        scope: 'bot applications.commands',
        redirectUri: h.redirectUri,
        guildId: guild.id,
        permissions: '268454915',
      });
    const elsewhere = await fetch(
      `${h.redirectUri}?code=${codeFor()}&state=${encodeURIComponent(await installFor())}`,
    );
    expect(elsewhere.status).toBe(400);
    const res = await owner.fetch(
      `/discord/install/callback?code=${codeFor()}&state=${encodeURIComponent(await installFor())}`,
    );
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toMatch(/^\/servers\?added=srv_/);
  });

  it('signing out ends the session', async () => {
    const out = await owner.write('/api/session/sign-out');
    expect(out.status).toBe(200);
    expect((await owner.json('/api/servers')).status).toBe(401);
  });
});
