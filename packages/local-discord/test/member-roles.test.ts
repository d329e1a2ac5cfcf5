import { Routes } from 'discord-api-types/v10';
import { RequestMethod } from '@discordjs/rest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Permission } from '../src/index.js';
import { discordError, shop, startHarness, type Harness } from './helpers.js';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.discord.close();
});

describe('Add / Remove Guild Member Role', () => {
  it('answers 204 with no body, applies the role and logs the decoded audit reason', async () => {
    const { guildId, roleId, userId } = shop(h.discord);
    const res = await h.rest.queueRequest({
      fullRoute: Routes.guildMemberRole(guildId, userId, roleId),
      method: RequestMethod.Put,
      reason: 'grant grt_1 for sub_123 — renouvelé',
    });
    expect(res.status).toBe(204);
    expect(await res.text()).toBe('');
    expect(h.discord.getMember(guildId, userId)?.roles).toEqual([roleId]);
    const entry = h.discord.requestLog.at(-1);
    expect(entry?.auditLogReason).toBe('grant grt_1 for sub_123 — renouvelé');
    expect(entry?.route).toBe('/guilds/:guildId/members/:userId/roles/:roleId');
  });

  it('is idempotent both ways', async () => {
    const { guildId, roleId, userId } = shop(h.discord);
    await h.api.guilds.addRoleToMember(guildId, userId, roleId);
    await h.api.guilds.addRoleToMember(guildId, userId, roleId);
    expect(h.discord.getMember(guildId, userId)?.roles).toEqual([roleId]);
    await h.api.guilds.removeRoleFromMember(guildId, userId, roleId);
    await h.api.guilds.removeRoleFromMember(guildId, userId, roleId);
    expect(h.discord.getMember(guildId, userId)?.roles).toEqual([]);
  });

  it('refuses a role above the bot with 403/50013', async () => {
    const { guildId, roleId, userId, botRoleId } = shop(h.discord);
    const botPosition = h.discord.listRoles(guildId).find((r) => r.id === botRoleId)?.position ?? 0;
    h.discord.setRolePosition(guildId, roleId, botPosition + 1);
    const error = await discordError(h.api.guilds.addRoleToMember(guildId, userId, roleId));
    expect([error.status, error.code]).toEqual([403, 50013]);
    expect(h.discord.getMember(guildId, userId)?.roles).toEqual([]);
  });

  it('ranks the lower id higher on equal positions', async () => {
    const guild = h.discord.createGuild({ name: 'Tie', withBot: false });
    const older = h.discord.createRole(guild.id, { name: 'older' });
    h.discord.addBot(guild.id);
    const botRoleId = h.discord.listRoles(guild.id).find((r) => r.managed)?.id ?? '';
    const newer = h.discord.createRole(guild.id, { name: 'newer' });
    const user = h.discord.createUser({ username: 'bob' });
    h.discord.addMember(guild.id, user.id);
    for (const role of [older, newer, { id: botRoleId }]) h.discord.setRolePosition(guild.id, role.id, 5);
    // The bot role's id is larger than `older`'s and smaller than `newer`'s.
    const error = await discordError(h.api.guilds.addRoleToMember(guild.id, user.id, older.id));
    expect(error.code).toBe(50013);
    await h.api.guilds.addRoleToMember(guild.id, user.id, newer.id);
    expect(h.discord.getMember(guild.id, user.id)?.roles).toEqual([newer.id]);
  });

  it('does not let ADMINISTRATOR bypass the hierarchy, but ownership does', async () => {
    const { guildId, roleId, userId, botRoleId } = shop(h.discord);
    h.discord.setBotPermissions(guildId, Permission.Administrator);
    h.discord.setRolePosition(guildId, roleId, 50);
    expect((await discordError(h.api.guilds.addRoleToMember(guildId, userId, roleId))).code).toBe(50013);
    h.discord.setGuildOwner(guildId, h.discord.botUserId);
    await h.api.guilds.addRoleToMember(guildId, userId, roleId);
    expect(h.discord.getMember(guildId, userId)?.roles).toEqual([roleId]);
    expect(botRoleId).not.toBe(roleId);
  });

  it('needs MANAGE_ROLES from @everyone or a role', async () => {
    const { guildId, roleId, userId } = shop(h.discord);
    h.discord.setBotPermissions(guildId, Permission.CreateInstantInvite | Permission.KickMembers);
    expect((await discordError(h.api.guilds.addRoleToMember(guildId, userId, roleId))).code).toBe(50013);
    h.discord.setRolePermissions(guildId, guildId, Permission.ManageRoles);
    await h.api.guilds.addRoleToMember(guildId, userId, roleId);
    expect(h.discord.getMember(guildId, userId)?.roles).toEqual([roleId]);
  });

  it('never grants managed roles or @everyone', async () => {
    const { guildId, userId } = shop(h.discord);
    const booster = h.discord.createRole(guildId, {
      name: 'Server Booster',
      managed: true,
      tags: { premium_subscriber: null },
    });
    expect((await discordError(h.api.guilds.addRoleToMember(guildId, userId, booster.id))).code).toBe(50013);
    expect((await discordError(h.api.guilds.addRoleToMember(guildId, userId, guildId))).code).toBe(50013);
  });

  it('answers 10011 / 10007 / 10004 for unknown role, member and guild', async () => {
    const { guildId, roleId, userId } = shop(h.discord);
    const unknownRole = await discordError(
      h.api.guilds.addRoleToMember(guildId, userId, '123456789012345678'),
    );
    expect([unknownRole.status, unknownRole.code]).toEqual([404, 10011]);
    const stranger = h.discord.createUser({ username: 'stranger' });
    const unknownMember = await discordError(h.api.guilds.addRoleToMember(guildId, stranger.id, roleId));
    expect([unknownMember.status, unknownMember.code]).toEqual([404, 10007]);
    const unknownGuild = await discordError(
      h.api.guilds.addRoleToMember('123456789012345678', userId, roleId),
    );
    expect([unknownGuild.status, unknownGuild.code]).toEqual([404, 10004]);
  });

  it('answers 50001 on guild sub-routes and 10004 on the guild once the bot is removed', async () => {
    const { guildId, roleId, userId } = shop(h.discord);
    h.discord.removeBot(guildId);
    const roles = await discordError(h.api.guilds.addRoleToMember(guildId, userId, roleId));
    expect([roles.status, roles.code]).toEqual([403, 50001]);
    const guild = await discordError(h.api.guilds.get(guildId));
    expect([guild.status, guild.code]).toEqual([404, 10004]);
    expect(h.discord.listRoles(guildId).some((role) => role.managed)).toBe(false);
  });
});

describe('Remove Guild Member (kick)', () => {
  it('kicks a member below the bot with 204', async () => {
    const { guildId, userId } = shop(h.discord);
    await h.api.guilds.removeMember(guildId, userId, { reason: 'sub_9 ended' });
    expect(h.discord.getMember(guildId, userId)).toBeNull();
    expect((await discordError(h.api.guilds.removeMember(guildId, userId))).code).toBe(10007);
  });

  it('cannot kick a member whose top role is above the bot, nor without KICK_MEMBERS', async () => {
    const { guildId, roleId, userId, botRoleId } = shop(h.discord);
    h.discord.setRolePosition(guildId, roleId, 40);
    h.discord.addMember(guildId, userId, [roleId]);
    expect((await discordError(h.api.guilds.removeMember(guildId, userId))).code).toBe(50013);
    h.discord.setRolePosition(guildId, roleId, 1);
    h.discord.setRolePosition(guildId, botRoleId, 2);
    h.discord.setBotPermissions(guildId, Permission.ManageRoles);
    h.discord.setRolePermissions(guildId, guildId, 0n);
    expect((await discordError(h.api.guilds.removeMember(guildId, userId))).code).toBe(50013);
  });
});
