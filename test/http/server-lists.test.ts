import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dialect } from '../../src/adapters/store/db.js';
import { backends } from '../helpers/backends.js';
import { postgresUnavailable } from '../helpers/db.js';
import { startHarness, type Harness } from '../discord/harness.js';

const pgReason = await postgresUnavailable();

interface Role {
  id: string;
  name: string;
  grantable: boolean;
  problem: { code: string; message: string } | null;
}

for (const dialect of backends as Dialect[]) {
  const suite = dialect === 'postgres' && pgReason ? describe.skip : describe;
  suite(`live roles and channels of a server [${dialect}]`, () => {
    let h: Harness;
    beforeAll(async () => {
      h = await startHarness(dialect);
    });
    afterAll(() => h.stop());

    const roles = async (query = '') => {
      const res = await h.t.api(`/api/servers/${h.serverId}/roles${query}`);
      expect(res.status).toBe(200);
      return res.body as { bot: { manage_roles: boolean; top_role_id: string }; data: Role[] };
    };
    const role = (list: { data: Role[] }, id: string) => list.data.find((r) => r.id === id);

    it('lists every role highest first, each grantable or not with why', async () => {
      const list = await roles();
      expect(list.bot).toMatchObject({ manage_roles: true, top_role_id: h.botRoleId });
      expect(list.data[0]?.id).toBe(h.botRoleId);
      expect(list.data[list.data.length - 1]?.id).toBe(h.guildId);
      expect(role(list, h.gold)).toMatchObject({ name: 'Gold', grantable: true, problem: null });
      expect(role(list, h.silver)).toMatchObject({ grantable: true });
      expect(role(list, h.guildId)?.problem?.code).toBe('role_is_everyone');
      expect(role(list, h.botRoleId)?.problem?.code).toBe('role_managed');
    });

    it('is read from Discord at most once in the cache window unless refresh=true', async () => {
      await roles('?refresh=true');
      h.discord.moveRoleAboveBot(h.guildId, h.gold);
      expect(role(await roles(), h.gold)?.grantable).toBe(true);
      const fresh = role(await roles('?refresh=true'), h.gold);
      expect(fresh).toMatchObject({ grantable: false, problem: { code: 'role_above_bot' } });
      expect(fresh?.problem?.message).toMatch(/Move the .* role above "Gold"/);
      expect(role(await roles(), h.gold)?.grantable).toBe(false);
    });

    it('names a missing Manage Roles permission on every role', async () => {
      const before = h.discord.botPermissions(h.guildId);
      h.discord.setBotPermissions(h.guildId, 0n);
      try {
        const list = await roles('?refresh=true');
        expect(list.bot.manage_roles).toBe(false);
        expect(role(list, h.silver)?.problem?.code).toBe('missing_manage_roles');
      } finally {
        h.discord.setBotPermissions(h.guildId, before);
      }
    });

    it('lists the channels and which can hold the roles message', async () => {
      const made = h.discord.createChannel(h.guildId, 'shop-talk');
      const res = await h.t.api(`/api/servers/${h.serverId}/channels?refresh=true`);
      expect(res.status).toBe(200);
      expect(res.body.data).toEqual(
        expect.arrayContaining([{ id: made.id, name: 'shop-talk', type: 0, can_hold_roles_message: true }]),
      );
    });

    it('an unknown or malformed server is a 404, a bad query a 400, and neither reaches Discord', async () => {
      const calls = h.discord.requestLog.length;
      expect((await h.t.api('/api/servers/srv_0000000000aaaaaaaaaaaaaaaa/roles')).status).toBe(404);
      expect((await h.t.api('/api/servers/nope/channels')).status).toBe(404);
      const unknownParam = await h.t.api(`/api/servers/${h.serverId}/roles?fresh=1`);
      expect(unknownParam.status).toBe(400);
      expect(unknownParam.body.error.code).toBe('validation_failed');
      expect((await h.t.api(`/api/servers/${h.serverId}/channels?refresh=yes`)).status).toBe(400);
      expect(h.discord.requestLog.length).toBe(calls);
    });

    it('a server the bot was removed from is a 409 that says to add it again', async () => {
      await h.t.app.ctx.db.kysely
        .updateTable('servers')
        .set({ status: 'removed' })
        .where('id', '=', h.serverId)
        .execute();
      const res = await h.t.api(`/api/servers/${h.serverId}/roles`);
      expect(res.status).toBe(409);
      expect(res.body.error.message).toMatch(/add the server again/);
    });
  });
}
