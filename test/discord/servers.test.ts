import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dialect } from '../../src/adapters/store/db.js';
import { backends } from '../helpers/backends.js';
import { postgresUnavailable } from '../helpers/db.js';
import { startHarness, type Harness } from './harness.js';

const pgReason = await postgresUnavailable();

for (const dialect of backends as Dialect[]) {
  const suite = dialect === 'postgres' && pgReason ? describe.skip : describe;
  suite(`connecting servers and their health [${dialect}]`, () => {
    let h: Harness;
    beforeAll(async () => {
      h = await startHarness(dialect);
    });
    afterAll(async () => {
      await h.stop();
    });
    const serverCount = async () =>
      (await h.t.app.ctx.db.kysely.selectFrom('servers').select('id').execute()).length;

    it('redirects an API-key holder to Discord’s bot install with the right permissions and a signed state', async () => {
      const anonymous = await fetch(`${h.t.url}/discord/install`, { redirect: 'manual' });
      expect(anonymous.status).toBe(401);
      const res = await fetch(`${h.t.url}/discord/install`, {
        headers: { authorization: `Bearer ${h.t.apiKey}` },
        redirect: 'manual',
      });
      expect(res.status).toBe(302);
      const url = new URL(res.headers.get('location') ?? '');
      expect(url.pathname).toBe('/oauth2/authorize');
      expect(Object.fromEntries(url.searchParams)).toMatchObject({
        client_id: h.discord.applicationId,
        permissions: '268454915',
        response_type: 'code',
        scope: 'bot applications.commands',
        redirect_uri: h.redirectUri,
      });
      expect(url.searchParams.get('state')).toMatch(/^[\w-]{43}$/);
    });

    it('an install state works once: a replayed callback is refused and connects nothing', async () => {
      const install = await h.t.api('/api/servers/install-url');
      const state = encodeURIComponent(new URL(install.body.url as string).searchParams.get('state') ?? '');
      const install1 = h.discord.createGuild({ name: 'First use' });
      const code1 = h.discord.authorizeCode({
        userId: install1.ownerId,
        scope: 'bot applications.commands',
        redirectUri: h.redirectUri,
        guildId: install1.id,
        permissions: '268454915',
      });
      expect((await fetch(`${h.redirectUri}?code=${code1}&state=${state}`)).status).toBe(200);
      const before = await serverCount();

      // Someone who saw the state (history, logs, a shoulder) replays it with a code for their own guild.
      const replay = h.discord.createGuild({ name: 'Replayed' });
      const code2 = h.discord.authorizeCode({
        userId: replay.ownerId,
        scope: 'bot applications.commands',
        redirectUri: h.redirectUri,
        guildId: replay.id,
        permissions: '268454915',
      });
      const res = await fetch(`${h.redirectUri}?code=${code2}&state=${state}`);
      expect(res.status).toBe(400);
      expect((await res.json()).error.message).toMatch(/already used/);
      expect(await serverCount()).toBe(before);
    });

    it('a state asked for with an API key that was revoked since is refused', async () => {
      const { createApiKey, revokeApiKey } = await import('../../src/app/admin/api-keys.js');
      const key = await createApiKey(h.t.app.ctx, 'short-lived');
      const install = await h.t.api('/api/servers/install-url', {
        headers: { authorization: `Bearer ${key.key}` },
      });
      expect(install.status).toBe(200);
      await revokeApiKey(h.t.app.ctx, key.id);
      const guild = h.discord.createGuild({ name: 'After revoke' });
      const code = h.discord.authorizeCode({
        userId: guild.ownerId,
        scope: 'bot applications.commands',
        redirectUri: h.redirectUri,
        guildId: guild.id,
        permissions: '268454915',
      });
      const state = encodeURIComponent(new URL(install.body.url as string).searchParams.get('state') ?? '');
      const before = await serverCount();
      expect((await fetch(`${h.redirectUri}?code=${code}&state=${state}`)).status).toBe(400);
      expect(await serverCount()).toBe(before);
    });

    it('connects the server named in Discord’s token response, ignoring a guild_id from the browser', async () => {
      const other = h.discord.createGuild({ name: 'Other shop' });
      const vip = h.discord.createRole(other.id, { name: 'VIP' });
      const install = await h.t.api('/api/servers/install-url');
      const state = new URL(install.body.url as string).searchParams.get('state') ?? '';
      const code = h.discord.authorizeCode({
        userId: other.ownerId,
        scope: 'bot applications.commands',
        redirectUri: h.redirectUri,
        guildId: other.id,
        permissions: '268454915',
      });
      // An attacker edits guild_id to a server they don't control: it must not matter.
      const res = await fetch(
        `${h.redirectUri}?code=${code}&state=${encodeURIComponent(state)}&guild_id=${h.guildId}`,
      );
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('Other shop');
      const row = await h.t.app.ctx.db.kysely
        .selectFrom('servers')
        .selectAll()
        .where('guild_id', '=', other.id)
        .executeTakeFirstOrThrow();
      expect(row).toMatchObject({ name: 'Other shop', status: 'active', bot_user_id: h.discord.botUserId });
      expect(row.bot_top_role_id).not.toBeNull();
      const roles = await h.t.app.ctx.db.kysely
        .selectFrom('server_roles')
        .selectAll()
        .where('server_id', '=', row.id)
        .execute();
      expect(roles.map((r) => r.role_id)).toContain(vip.id);
      expect(h.discord.invalidRequestCount).toBe(0);
    });

    it('refuses a forged or missing state and stores nothing', async () => {
      const before = await serverCount();
      const guild = h.discord.createGuild({ name: 'Forged' });
      const code = h.discord.authorizeCode({
        userId: guild.ownerId,
        scope: 'bot applications.commands',
        redirectUri: h.redirectUri,
        guildId: guild.id,
      });
      const forged = await fetch(
        `${h.redirectUri}?code=${code}&state=eyJwdXJwb3NlIjoiYm90X2luc3RhbGwifQ.forged`,
      );
      expect(forged.status).toBe(400);
      expect((await forged.json()).error.code).toBe('bad_request');
      const missing = await fetch(`${h.redirectUri}?code=${code}`);
      expect(missing.status).toBe(400);
      const cancelled = await fetch(`${h.redirectUri}?error=access_denied`);
      expect(cancelled.status).toBe(400);
      expect(await serverCount()).toBe(before);
    });

    it('lists servers and shows per-role health with the exact fix', async () => {
      await h.entitlement([h.gold]);
      const list = await h.t.api('/api/servers');
      expect(list.status).toBe(200);
      expect(list.body.data.map((s: { id: string }) => s.id)).toContain(h.serverId);
      const one = await h.t.api(`/api/servers/${h.serverId}`);
      expect(one.status).toBe(200);
      expect(one.body.health).toMatchObject({
        healthy: true,
        roles: [{ role_id: h.gold, name: 'Gold', grantable: true }],
      });

      h.discord.setBotPermissions(h.guildId, '3'); // Manage Roles taken away
      const refreshed = await h.t.api(`/api/servers/${h.serverId}/refresh`, { method: 'POST' });
      expect(refreshed.status).toBe(200);
      expect(refreshed.body.health.roles[0].problem).toMatchObject({
        code: 'missing_manage_roles',
        message: expect.stringContaining('Manage Roles'),
      });
      h.discord.setBotPermissions(h.guildId, '268454915');
      await h.t.api(`/api/servers/${h.serverId}/refresh`, { method: 'POST' });
    });

    it('answers 404 for unknown or malformed server ids', async () => {
      expect((await h.t.api('/api/servers/srv_00000000000000000000000000')).status).toBe(404);
      expect((await h.t.api('/api/servers/nope')).status).toBe(404);
      expect((await h.t.api('/api/servers/nope/refresh', { method: 'POST' })).status).toBe(404);
    });

    it('says in plain words when the bot was removed from the server', async () => {
      const guild = h.discord.createGuild({ name: 'Leaving' });
      const id = await h.connect(guild.id);
      h.discord.removeBot(guild.id);
      const res = await h.t.api(`/api/servers/${id}/refresh`, { method: 'POST' });
      expect(res.status).toBe(422);
      expect(res.body.error.message).toMatch(/no longer in this server|no access/i);
    });
  });
}
