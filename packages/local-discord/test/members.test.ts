import { RequestMethod } from '@discordjs/rest';
import { Routes, type APIGuildMember } from 'discord-api-types/v10';
import { afterEach, describe, expect, it } from 'vitest';
import { Permission } from '../src/index.js';
import { discordError, ManualClock, shop, startHarness, type Harness } from './helpers.js';

const REDIRECT = 'http://localhost:3000/oauth/discord/callback';
let h: Harness;
afterEach(async () => {
  await h.discord.close();
});

async function tokensFor(userId: string, scope = 'identify guilds.join') {
  const code = h.discord.authorizeCode({ userId, scope, redirectUri: REDIRECT });
  return h.api.oauth2.tokenExchange({
    client_id: h.discord.clientId,
    client_secret: h.discord.clientSecret,
    grant_type: 'authorization_code',
    code,
    redirect_uri: REDIRECT,
  });
}

function addMember(guildId: string, userId: string, body: Record<string, unknown>) {
  return h.rest.queueRequest({
    fullRoute: Routes.guildMember(guildId, userId),
    method: RequestMethod.Put,
    body,
  });
}

describe('Add Guild Member', () => {
  it('answers 201 with the member and applies the roles when the user joins', async () => {
    h = await startHarness();
    const { guildId, roleId } = shop(h.discord);
    const carol = h.discord.createUser({ username: 'carol' });
    const { access_token } = await tokensFor(carol.id);
    const res = await addMember(guildId, carol.id, { access_token, roles: [roleId] });
    expect(res.status).toBe(201);
    const member = (await res.json()) as APIGuildMember;
    expect(member.user?.id).toBe(carol.id);
    expect(member.roles).toEqual([roleId]);
    expect(h.discord.getMember(guildId, carol.id)?.roles).toEqual([roleId]);
  });

  it('answers 204 with no body and ignores the roles when already a member', async () => {
    h = await startHarness();
    const { guildId, roleId, userId } = shop(h.discord);
    const { access_token } = await tokensFor(userId);
    const res = await addMember(guildId, userId, { access_token, roles: [roleId] });
    expect(res.status).toBe(204);
    expect(await res.text()).toBe('');
    expect(h.discord.getMember(guildId, userId)?.roles).toEqual([]);
  });

  it('needs CREATE_INSTANT_INVITE, which @everyone usually carries', async () => {
    h = await startHarness();
    const { guildId } = shop(h.discord);
    const dave = h.discord.createUser({ username: 'dave' });
    const { access_token } = await tokensFor(dave.id);
    h.discord.setBotPermissions(guildId, Permission.ManageRoles);
    // Still allowed: @everyone grants CREATE_INSTANT_INVITE in a fresh guild.
    expect(BigInt(h.discord.botPermissions(guildId)) & Permission.CreateInstantInvite).toBe(1n);
    h.discord.setRolePermissions(guildId, guildId, Permission.ViewChannel);
    const error = await discordError(addMember(guildId, dave.id, { access_token }));
    expect([error.status, error.code]).toEqual([403, 50013]);
  });

  it('checks body roles like Add Guild Member Role: a role above the bot fails and nobody joins', async () => {
    h = await startHarness();
    const { guildId, roleId } = shop(h.discord);
    h.discord.setRolePosition(guildId, roleId, 99);
    const erin = h.discord.createUser({ username: 'erin' });
    const { access_token } = await tokensFor(erin.id);
    expect((await discordError(addMember(guildId, erin.id, { access_token, roles: [roleId] }))).code).toBe(
      50013,
    );
    expect(h.discord.getMember(guildId, erin.id)).toBeNull();
  });

  it('answers 40007 for a banned user', async () => {
    h = await startHarness();
    const { guildId, userId } = shop(h.discord);
    const { access_token } = await tokensFor(userId);
    h.discord.banUser(guildId, userId);
    const error = await discordError(addMember(guildId, userId, { access_token }));
    expect([error.status, error.code]).toEqual([403, 40007]);
  });

  it('answers 30001 as HTTP 400 at 100 guilds, but 204 for an existing member', async () => {
    h = await startHarness();
    const { guildId, userId } = shop(h.discord);
    const frank = h.discord.createUser({ username: 'frank' });
    const { access_token } = await tokensFor(frank.id);
    h.discord.setUserGuildCount(frank.id, 100);
    const error = await discordError(addMember(guildId, frank.id, { access_token }));
    expect([error.status, error.code]).toEqual([400, 30001]);
    h.discord.setUserGuildCount(frank.id, 99);
    expect((await addMember(guildId, frank.id, { access_token })).status).toBe(201);
    h.discord.setUserGuildCount(userId, 150);
    const own = await tokensFor(userId);
    expect((await addMember(guildId, userId, { access_token: own.access_token })).status).toBe(204);
  });

  it('answers 50025 for another user’s, a refreshed, a revoked or an expired token', async () => {
    const clock = new ManualClock();
    h = await startHarness({ clock });
    const { guildId } = shop(h.discord);
    const gina = h.discord.createUser({ username: 'gina' });
    const hank = h.discord.createUser({ username: 'hank' });
    const expect50025 = async (token: string) => {
      const error = await discordError(addMember(guildId, gina.id, { access_token: token }));
      expect([error.status, error.code]).toEqual([403, 50025]);
    };
    await expect50025((await tokensFor(hank.id)).access_token);
    await expect50025('not-a-token');

    const first = await tokensFor(gina.id);
    await h.api.oauth2.refreshToken({
      client_id: h.discord.clientId,
      client_secret: h.discord.clientSecret,
      grant_type: 'refresh_token',
      refresh_token: first.refresh_token,
    });
    await expect50025(first.access_token);

    const revoked = await tokensFor(gina.id);
    await h.api.oauth2.revokeToken(h.discord.clientId, h.discord.clientSecret, {
      token: revoked.refresh_token,
    });
    await expect50025(revoked.access_token);

    const expiring = await tokensFor(gina.id);
    clock.advance(expiring.expires_in * 1000);
    await expect50025(expiring.access_token);
    // The bot token survived all of this: a 401 would have made @discordjs/rest drop it.
    await expect(h.api.users.getCurrent()).resolves.toMatchObject({ id: h.discord.botUserId });
  });

  it('answers 50026 without the guilds.join scope', async () => {
    h = await startHarness();
    const { guildId } = shop(h.discord);
    const ivy = h.discord.createUser({ username: 'ivy' });
    const { access_token } = await tokensFor(ivy.id, 'identify');
    expect((await discordError(addMember(guildId, ivy.id, { access_token }))).code).toBe(50026);
  });
});

describe('Get / List Guild Members', () => {
  it('answers 10007 for a user who is not a member', async () => {
    h = await startHarness();
    const { guildId } = shop(h.discord);
    const outsider = h.discord.createUser({ username: 'outsider' });
    const error = await discordError(h.api.guilds.getMember(guildId, outsider.id));
    expect([error.status, error.code]).toEqual([404, 10007]);
  });

  it('pages by user id with limit and after; the default limit is 1', async () => {
    h = await startHarness();
    const { guildId } = shop(h.discord);
    for (let i = 0; i < 5; i += 1)
      h.discord.addMember(guildId, h.discord.createUser({ username: `m${i}` }).id);
    // 5 + alice + owner + bot = 8 members.
    expect(await h.api.guilds.getMembers(guildId)).toHaveLength(1);
    const seen: string[] = [];
    let after = '0';
    for (;;) {
      const page = await h.api.guilds.getMembers(guildId, { limit: 3, after });
      seen.push(...page.map((member) => member.user.id));
      if (page.length < 3) break;
      after = page.at(-1)?.user.id ?? after;
    }
    expect(seen).toHaveLength(8);
    expect(seen).toEqual([...seen].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1)));
    expect(new Set(seen).size).toBe(8);
    const tooMany = await discordError(h.api.guilds.getMembers(guildId, { limit: 1001 }));
    expect([tooMany.status, tooMany.code]).toEqual([400, 50035]);
  });

  it('answers 403/50001 when the GUILD_MEMBERS intent is off, while Get Member still works', async () => {
    h = await startHarness();
    const { guildId, userId } = shop(h.discord);
    h.discord.setMembersIntent(false);
    const error = await discordError(h.api.guilds.getMembers(guildId, { limit: 1000 }));
    expect([error.status, error.code]).toEqual([403, 50001]);
    await expect(h.api.guilds.getMember(guildId, userId)).resolves.toMatchObject({ user: { id: userId } });
  });
});
