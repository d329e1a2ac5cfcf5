import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DiscordRestAdapter } from '../../src/adapters/discord/rest.js';
import { FailureError } from '../../src/core/failure.js';
import { startLocalDiscord, type LocalDiscord } from '@rolegate/local-discord';

describe('the Discord adapter against the local Discord', () => {
  let discord: LocalDiscord;
  let adapter: DiscordRestAdapter;
  let guildId: string;
  let roleId: string;
  const redirectUri = 'http://127.0.0.1/link/callback';

  beforeAll(async () => {
    discord = await startLocalDiscord();
    adapter = new DiscordRestAdapter({
      apiUrl: discord.apiBaseUrl,
      botToken: discord.botToken,
      applicationId: discord.applicationId,
      clientSecret: discord.clientSecret,
    });
    guildId = discord.createGuild({ name: 'Adapter' }).id;
    roleId = discord.createRole(guildId, { name: 'Gold' }).id;
  });
  afterAll(async () => {
    await discord.close();
  });

  const userToken = async (userId: string) => {
    const code = discord.authorizeCode({ userId, scope: 'identify guilds.join', redirectUri });
    return (await adapter.exchangeCode(code, redirectUri)).accessToken;
  };

  it('tells Add Guild Member 201 (added, roles applied) from 204 (already a member, roles ignored)', async () => {
    const user = discord.createUser({ username: 'joiner' }).id;
    const token = await userToken(user);
    expect(await adapter.addMember(guildId, user, token, [roleId], 'Rolegate test')).toBe('added');
    expect(discord.getMember(guildId, user)?.roles).toEqual([roleId]);
    discord.setMemberRoles(guildId, user, []);
    expect(await adapter.addMember(guildId, user, token, [roleId], 'Rolegate test')).toBe('already_member');
    expect(discord.getMember(guildId, user)?.roles).toEqual([]);
  });

  it('reads a missing member as null and treats removing from a missing member as done', async () => {
    const ghost = discord.createUser({ username: 'ghost' }).id;
    expect(await adapter.getMember(guildId, ghost)).toBeNull();
    await expect(adapter.removeRole(guildId, ghost, roleId, 'Rolegate test')).resolves.toBeUndefined();
    await expect(adapter.kickMember(guildId, ghost, 'Rolegate test')).resolves.toBeUndefined();
  });

  it('sends the audit-log reason with every change', async () => {
    const user = discord.createUser({ username: 'audited' }).id;
    discord.addMember(guildId, user);
    discord.resetCounters();
    await adapter.addRole(guildId, user, roleId, 'Rolegate grant grt_x (event evt_y)');
    expect(discord.requestLog.at(-1)?.auditLogReason).toBe('Rolegate grant grt_x (event evt_y)');
  });

  it('throws classified failures: banned buyer is the customer’s, a role above the bot the merchant’s', async () => {
    const banned = discord.createUser({ username: 'banned' }).id;
    const token = await userToken(banned);
    discord.banUser(guildId, banned);
    const join = await adapter
      .addMember(guildId, banned, token, [], 'Rolegate test')
      .catch((e: unknown) => e);
    expect(join).toBeInstanceOf(FailureError);
    expect((join as FailureError).failure).toMatchObject({ owner: 'customer', code: 'banned' });

    const high = discord.createRole(guildId, { name: 'High', position: 99 }).id;
    const member = discord.createUser({ username: 'm' }).id;
    discord.addMember(guildId, member);
    const add = await adapter.addRole(guildId, member, high, 'Rolegate test').catch((e: unknown) => e);
    expect((add as FailureError).failure).toMatchObject({ owner: 'merchant', code: 'missing_permissions' });
  });

  it('reads the guild, the bot and the buyer behind an OAuth token', async () => {
    const guild = await adapter.getGuild(guildId);
    expect(guild.roles.map((r) => r.name)).toContain('Gold');
    expect((await adapter.getBotUser()).id).toBe(discord.botUserId);
    const user = discord.createUser({ username: 'who' }).id;
    expect((await adapter.getOAuthUser(await userToken(user))).id).toBe(user);
  });
});
