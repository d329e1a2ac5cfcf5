import { API } from '@discordjs/core/http-only';
import { REST } from '@discordjs/rest';
import { CompressionMethod, WebSocketShardEvents } from '@discordjs/ws';
import { GatewayDispatchEvents, GatewayIntentBits } from 'discord-api-types/v10';
import { afterEach, describe, expect, it } from 'vitest';
import { startLocalDiscord, type LocalDiscord, type StartLocalDiscordOptions } from '../src/index.js';
import { gatewayClient, within, type GatewayClient } from './gateway-client.js';
import { shop } from './helpers.js';

const GUILDS_AND_MEMBERS = GatewayIntentBits.Guilds | GatewayIntentBits.GuildMembers;

let discord: LocalDiscord;
const clients: GatewayClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
  await discord.close();
});

async function start(options: StartLocalDiscordOptions = {}): Promise<LocalDiscord> {
  discord = await startLocalDiscord(options);
  return discord;
}

async function connected(intents = GUILDS_AND_MEMBERS, compression: CompressionMethod | null = null) {
  const client = gatewayClient(discord, { intents, compression });
  clients.push(client);
  await within(client.manager.connect(), 'the client to be READY');
  return client;
}

describe('connecting with @discordjs/ws', () => {
  it('finds the gateway through GET /gateway/bot, gets READY with the guilds unavailable, then GUILD_CREATE for each', async () => {
    await start();
    const { guildId, userId } = shop(discord);
    const client = await connected();

    const ready = await client.dispatch(GatewayDispatchEvents.Ready, 0);
    expect(ready.s).toBe(1);
    expect(ready.d).toMatchObject({
      v: 10,
      user: { id: discord.botUserId, bot: true },
      guilds: [{ id: guildId, unavailable: true }],
      resume_gateway_url: `${discord.gateway.url}/resume`,
      shard: [0, 1],
    });
    const created = await client.dispatch(GatewayDispatchEvents.GuildCreate, 0);
    expect(created.s).toBe(2);
    expect(created.d).toMatchObject({ id: guildId, unavailable: false, member_count: 3, large: false });
    expect(created.d.members.map((m) => m.user.id)).toEqual([discord.botUserId]);
    expect(created.d.roles.length).toBeGreaterThan(1);
    expect(discord.getMember(guildId, userId)).not.toBeNull();

    expect(discord.gateway.sessions()).toEqual([
      expect.objectContaining({
        sessionId: ready.d.session_id,
        intents: GUILDS_AND_MEMBERS,
        connected: true,
      }),
    ]);
    expect(discord.gateway.identifyCount).toBe(1);
  });

  it('answers every heartbeat with an ACK, including one the server asked for', async () => {
    await start({ gateway: { heartbeatIntervalMs: 200, heartbeatTimeoutMs: 10_000 } });
    const client = await connected();
    const [first] = await client.next(WebSocketShardEvents.HeartbeatComplete);
    expect(first).toMatchObject({ latency: expect.any(Number) });
    // op 1 from the server: the client must heartbeat at once, and is ACKed again.
    expect(discord.gateway.requestHeartbeat()).toBe(1);
    await client.next(WebSocketShardEvents.HeartbeatComplete);
  });

  it('speaks zlib-stream when the client asks for it', async () => {
    await start();
    shop(discord);
    const client = await connected(GUILDS_AND_MEMBERS, CompressionMethod.ZlibNative);
    expect(client.debug.some((line) => line.includes('compress=zlib-stream'))).toBe(true);
    await client.dispatch(GatewayDispatchEvents.GuildCreate, 0);
  });
});

describe('dispatches of the world’s changes', () => {
  it('a member who leaves and rejoins: GUILD_MEMBER_REMOVE, then GUILD_MEMBER_ADD without roles', async () => {
    await start();
    const { guildId, userId, roleId } = shop(discord);
    discord.setMemberRoles(guildId, userId, [roleId]);
    const client = await connected();
    const mark = client.dispatches.length;

    discord.memberLeaves(guildId, userId);
    discord.memberRejoins(guildId, userId);

    const removed = await client.dispatch(GatewayDispatchEvents.GuildMemberRemove, mark);
    expect(removed.d).toMatchObject({ guild_id: guildId, user: { id: userId } });
    const added = await client.dispatch(GatewayDispatchEvents.GuildMemberAdd, mark);
    expect(added.d).toMatchObject({ guild_id: guildId, user: { id: userId }, roles: [] });
    expect(added.s).toBe(removed.s + 1);
  });

  it('roles changed by a moderator or over REST: GUILD_MEMBER_UPDATE with the full role list', async () => {
    await start();
    const { guildId, userId, roleId } = shop(discord);
    const other = discord.createRole(guildId, { name: 'Other' }).id;
    const client = await connected();
    const mark = client.dispatches.length;
    const rest = new REST({ api: `${discord.url}/api`, version: '10' }).setToken(discord.botToken);

    await new API(rest).guilds.addRoleToMember(guildId, userId, roleId);
    const byBot = await client.dispatch(GatewayDispatchEvents.GuildMemberUpdate, mark);
    expect(byBot.d).toMatchObject({ guild_id: guildId, user: { id: userId }, roles: [roleId] });

    discord.moderatorAddsRole(guildId, userId, other);
    discord.moderatorRemovesRole(guildId, userId, roleId);
    const last = await client.dispatch(
      GatewayDispatchEvents.GuildMemberUpdate,
      mark,
      (p) => p.s === byBot.s + 2,
    );
    expect(last.d.roles).toEqual([other]);
  });

  it('roles created, moved above the bot and deleted: GUILD_ROLE_CREATE, _UPDATE for each role that moved, _DELETE', async () => {
    await start();
    const { guildId, roleId, botRoleId } = shop(discord);
    const client = await connected();
    const mark = client.dispatches.length;

    const fresh = discord.createRole(guildId, { name: 'Fresh' }).id;
    const createdRole = await client.dispatch(GatewayDispatchEvents.GuildRoleCreate, mark);
    expect(createdRole.d).toMatchObject({ guild_id: guildId, role: { id: fresh, position: 1 } });

    const moves = client.dispatches.length;
    discord.moveRoleAboveBot(guildId, roleId);
    const botTop = discord.listRoles(guildId).find((role) => role.id === botRoleId)?.position ?? 0;
    const moved = await client.dispatch(
      GatewayDispatchEvents.GuildRoleUpdate,
      moves,
      (p) => p.d.role.id === roleId,
    );
    expect(moved.d.role.position).toBe(botTop + 1);

    discord.deleteRole(guildId, fresh);
    const deleted = await client.dispatch(GatewayDispatchEvents.GuildRoleDelete, mark);
    expect(deleted.d).toEqual({ guild_id: guildId, role_id: fresh });
  });

  it('the bot removed: GUILD_DELETE with the id only (an outage would say unavailable); added back: GUILD_CREATE', async () => {
    await start();
    const { guildId } = shop(discord);
    const client = await connected();
    const mark = client.dispatches.length;

    discord.removeBot(guildId);
    const gone = await client.dispatch(GatewayDispatchEvents.GuildDelete, mark);
    expect(gone.d).toEqual({ id: guildId });
    discord.addBot(guildId);
    const back = await client.dispatch(GatewayDispatchEvents.GuildCreate, mark);
    expect(back.d.id).toBe(guildId);
    // Nothing about the guild reached the client while the bot was out (its role's deletion included).
    const between = client.dispatches.slice(mark).map((p) => p.t);
    expect(between).toEqual([GatewayDispatchEvents.GuildDelete, GatewayDispatchEvents.GuildCreate]);
  });

  it('only to sessions whose intents allow them; updates about the bot itself reach everyone', async () => {
    await start();
    const { guildId, userId, roleId, botRoleId } = shop(discord);
    const withMembers = await connected(GUILDS_AND_MEMBERS);
    const guildsOnly = await connected(GatewayIntentBits.Guilds);
    const sessionOf = (client: GatewayClient) => {
      const ready = client.dispatches.find((p) => p.t === GatewayDispatchEvents.Ready);
      return ready?.t === GatewayDispatchEvents.Ready ? ready.d.session_id : '';
    };
    const logFrom = discord.gateway.dispatchLog.length;

    discord.moderatorAddsRole(guildId, userId, roleId);
    discord.setRolePermissions(guildId, roleId, '0');
    discord.setBotRoles(guildId, [botRoleId, roleId]);
    await guildsOnly.dispatch(GatewayDispatchEvents.GuildMemberUpdate, 0);

    // Dispatches are numbered when the world changes, so the log is complete right away.
    const told = (client: GatewayClient) =>
      discord.gateway.dispatchLog
        .slice(logFrom)
        .filter((entry) => entry.sessionId === sessionOf(client))
        .map((entry) => entry.t);
    expect(told(withMembers)).toEqual(['GUILD_MEMBER_UPDATE', 'GUILD_ROLE_UPDATE', 'GUILD_MEMBER_UPDATE']);
    expect(told(guildsOnly)).toEqual(['GUILD_ROLE_UPDATE', 'GUILD_MEMBER_UPDATE']);
    const aboutBot = await guildsOnly.dispatch(GatewayDispatchEvents.GuildMemberUpdate, 0);
    expect(aboutBot.d.user.id).toBe(discord.botUserId);
  });
});

describe('resume, reconnect and invalid sessions', () => {
  it('after a dropped connection the client resumes on resume_gateway_url and gets what it missed, in order', async () => {
    await start();
    const { guildId, userId, roleId } = shop(discord);
    const client = await connected();
    const sessionBefore = discord.gateway.sessions()[0]?.sessionId;
    const resumed = client.next(WebSocketShardEvents.Resumed);

    expect(discord.gateway.dropConnections()).toBe(1);
    // While the client is away: these are kept for replay.
    discord.moderatorAddsRole(guildId, userId, roleId);
    discord.memberLeaves(guildId, userId);
    await resumed;

    const sequences = client.dispatches.map((p) => p.s);
    expect(sequences).toEqual(sequences.map((_, index) => index + 1));
    expect(client.dispatches.slice(-3).map((p) => p.t)).toEqual([
      GatewayDispatchEvents.GuildMemberUpdate,
      GatewayDispatchEvents.GuildMemberRemove,
      GatewayDispatchEvents.Resumed,
    ]);
    expect(client.debug.some((line) => line.includes(`Connecting to ${discord.gateway.url}/resume?`))).toBe(
      true,
    );
    expect(discord.gateway.sessions()).toEqual([
      expect.objectContaining({ sessionId: sessionBefore, connected: true }),
    ]);
    expect(discord.gateway.identifyCount).toBe(1);
  });

  it('op 7 Reconnect: the client closes and resumes the same session', async () => {
    await start();
    shop(discord);
    const client = await connected();
    const resumed = client.next(WebSocketShardEvents.Resumed);
    expect(discord.gateway.requestReconnect()).toBe(1);
    await resumed;
    expect(discord.gateway.identifyCount).toBe(1);
    expect(client.dispatches.at(-1)?.t).toBe(GatewayDispatchEvents.Resumed);
  });

  it('op 9 Invalid Session (not resumable): the client identifies again and gets a new session', async () => {
    await start();
    shop(discord);
    const client = await connected();
    const first = await client.dispatch(GatewayDispatchEvents.Ready, 0);
    const mark = client.dispatches.length;
    expect(discord.gateway.invalidateSessions()).toBe(1);
    const second = await client.dispatch(GatewayDispatchEvents.Ready, mark);
    expect(second.d.session_id).not.toBe(first.d.session_id);
    expect(discord.gateway.identifyCount).toBe(2);
  });

  it('op 9 Invalid Session (resumable): the client resumes the same session on the same connection', async () => {
    await start();
    shop(discord);
    const client = await connected();
    const sessionBefore = discord.gateway.sessions()[0]?.sessionId;
    const resumed = client.next(WebSocketShardEvents.Resumed);
    expect(discord.gateway.invalidateSessions(true)).toBe(1);
    await resumed;
    expect(discord.gateway.sessions()).toEqual([
      expect.objectContaining({ sessionId: sessionBefore, connected: true }),
    ]);
    expect(discord.gateway.identifyCount).toBe(1);
  });

  it('a resume older than what the session kept is refused with op 9; the client starts over', async () => {
    await start({ gateway: { replayLimit: 2 } });
    const { guildId, userId, roleId } = shop(discord);
    const client = await connected();
    const first = await client.dispatch(GatewayDispatchEvents.Ready, 0);
    const mark = client.dispatches.length;

    discord.gateway.dropConnections();
    for (let i = 0; i < 3; i += 1) {
      discord.moderatorAddsRole(guildId, userId, roleId);
      discord.moderatorRemovesRole(guildId, userId, roleId);
    }
    const ready = await client.dispatch(GatewayDispatchEvents.Ready, mark);
    expect(ready.d.session_id).not.toBe(first.d.session_id);
    expect(client.debug.some((line) => line.includes('Invalid session'))).toBe(true);
  });

  it('a session whose resume window has passed is refused with op 9', async () => {
    await start({ gateway: { resumeWindowMs: 0 } });
    shop(discord);
    const client = await connected();
    const first = await client.dispatch(GatewayDispatchEvents.Ready, 0);
    const mark = client.dispatches.length;
    discord.gateway.dropConnections();
    const ready = await client.dispatch(GatewayDispatchEvents.Ready, mark);
    expect(ready.d.session_id).not.toBe(first.d.session_id);
  });
});

describe('refusals the client must not retry', () => {
  async function errorOf(client: GatewayClient): Promise<string> {
    const errored = client.next(WebSocketShardEvents.Error);
    void client.manager.connect().catch(() => undefined);
    const [error] = await errored;
    return error instanceof Error ? error.message : String(error);
  }

  it('a wrong token closes with 4004 (authentication failed)', async () => {
    await start();
    const client = gatewayClient(discord, { intents: GatewayIntentBits.Guilds, token: 'not-the-token' });
    clients.push(client);
    expect(await errorOf(client)).toBe('Authentication failed');
    expect(discord.gateway.sessions()).toEqual([]);
  });

  it('GUILD_MEMBERS while the application has it switched off closes with 4014 (disallowed intents)', async () => {
    await start({ membersIntent: false });
    const client = gatewayClient(discord, { intents: GUILDS_AND_MEMBERS });
    clients.push(client);
    expect(await errorOf(client)).toBe('Used disallowed intents');
  });

  it('an intent bit Discord does not define closes with 4013 (invalid intents)', async () => {
    await start();
    const client = gatewayClient(discord, { intents: 1 << 30 });
    clients.push(client);
    expect(await errorOf(client)).toBe('Used invalid intents');
  });
});
