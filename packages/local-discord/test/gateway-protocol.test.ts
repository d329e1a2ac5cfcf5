import { GatewayCloseCodes, GatewayIntentBits, GatewayOpcodes } from 'discord-api-types/v10';
import { afterEach, describe, expect, it } from 'vitest';
import { startLocalDiscord, type LocalDiscord, type StartLocalDiscordOptions } from '../src/index.js';
import { rawGateway, type RawGateway } from './gateway-client.js';
import { shop } from './helpers.js';

/**
 * What a client that misbehaves gets — things @discordjs/ws never does, so a bare WebSocket sends
 * them. Each close code is Discord's (docs: topics/opcodes-and-status-codes).
 */
let discord: LocalDiscord;
const sockets: RawGateway[] = [];
afterEach(async () => {
  for (const raw of sockets.splice(0)) raw.socket.terminate();
  await discord.close();
});

/** Another connection to the running Local Discord. */
async function open(query?: string): Promise<RawGateway> {
  const raw = await rawGateway(discord, query);
  sockets.push(raw);
  return raw;
}

async function fresh(options: StartLocalDiscordOptions = {}, query?: string): Promise<RawGateway> {
  discord = await startLocalDiscord(options);
  return open(query);
}

function identify(raw: RawGateway, overrides: Record<string, unknown> = {}): void {
  raw.send({
    op: GatewayOpcodes.Identify,
    d: {
      token: discord.botToken,
      intents: GatewayIntentBits.Guilds,
      properties: { os: 'linux', browser: 'test', device: 'test' },
      ...overrides,
    },
  });
}

describe('the gateway protocol', () => {
  it('says Hello with the heartbeat interval, and ACKs a heartbeat even before identify', async () => {
    const raw = await fresh({ gateway: { heartbeatIntervalMs: 45_000 } });
    expect(await raw.next()).toEqual({
      op: GatewayOpcodes.Hello,
      d: { heartbeat_interval: 45_000 },
      s: null,
      t: null,
    });
    raw.send({ op: GatewayOpcodes.Heartbeat, d: null });
    expect(await raw.next()).toMatchObject({ op: GatewayOpcodes.HeartbeatAck });
  });

  it('identify starts a session: READY is dispatch 1 and the session start limit counts it', async () => {
    const raw = await fresh();
    const before = await fetch(`${discord.apiBaseUrl}/v10/gateway/bot`, {
      headers: { Authorization: `Bot ${discord.botToken}` },
    }).then(
      (r) => r.json() as Promise<{ url: string; shards: number; session_start_limit: { remaining: number } }>,
    );
    expect(before).toMatchObject({
      url: discord.gateway.url,
      shards: 1,
      session_start_limit: { remaining: 1000 },
    });
    await raw.next();
    identify(raw);
    expect(await raw.next()).toMatchObject({ op: GatewayOpcodes.Dispatch, t: 'READY', s: 1 });
    const after = await fetch(`${discord.apiBaseUrl}/v10/gateway/bot`, {
      headers: { Authorization: `Bot ${discord.botToken}` },
    }).then(
      (r) => r.json() as Promise<{ session_start_limit: { remaining: number; max_concurrency: number } }>,
    );
    expect(after.session_start_limit).toMatchObject({ remaining: 999, max_concurrency: 1 });
    expect(await fetch(`${discord.apiBaseUrl}/v10/gateway`).then((r) => r.json())).toEqual({
      url: discord.gateway.url,
    });
  });

  it('4001 for an opcode a client may not send', async () => {
    const raw = await fresh();
    raw.send({ op: GatewayOpcodes.HeartbeatAck, d: null });
    expect((await raw.closed).code).toBe(GatewayCloseCodes.UnknownOpcode);
  });

  it.each([
    ['text that is not JSON', 'not json'],
    ['JSON without an op', JSON.stringify({ d: 1 })],
    ['an identify without properties', JSON.stringify({ op: 2, d: { token: 'x', intents: 0 } })],
    ['a payload over 4,096 bytes', JSON.stringify({ op: 3, d: 'x'.repeat(5000) })],
  ])('4002 for %s', async (_, text) => {
    const raw = await fresh();
    raw.send(text);
    expect((await raw.closed).code).toBe(GatewayCloseCodes.DecodeError);
  });

  it('4003 for a command before identify', async () => {
    const raw = await fresh();
    raw.send({
      op: GatewayOpcodes.PresenceUpdate,
      d: { since: null, activities: [], status: 'online', afk: false },
    });
    expect((await raw.closed).code).toBe(GatewayCloseCodes.NotAuthenticated);
  });

  it('4005 for a second identify on the same connection', async () => {
    const raw = await fresh();
    identify(raw);
    identify(raw);
    expect((await raw.closed).code).toBe(GatewayCloseCodes.AlreadyAuthenticated);
  });

  it('4007 for a resume with a sequence the session never reached; the session is gone', async () => {
    const first = await fresh();
    await first.next();
    identify(first);
    const ready = await first.next();
    const sessionId = (ready.d as { session_id: string }).session_id;
    first.socket.terminate();
    await first.closed;

    const second = await open();
    second.send({
      op: GatewayOpcodes.Resume,
      d: { token: discord.botToken, session_id: sessionId, seq: 99 },
    });
    expect((await second.closed).code).toBe(GatewayCloseCodes.InvalidSeq);
    expect(discord.gateway.sessions()).toEqual([]);
  });

  it('op 9 for a resume of an unknown session; the connection stays open for an identify', async () => {
    const raw = await fresh();
    await raw.next();
    raw.send({ op: GatewayOpcodes.Resume, d: { token: discord.botToken, session_id: 'nope', seq: 1 } });
    expect(await raw.next()).toMatchObject({ op: GatewayOpcodes.InvalidSession, d: false });
    identify(raw);
    expect(await raw.next()).toMatchObject({ t: 'READY' });
  });

  it('4008 for more commands than the send limit', async () => {
    const raw = await fresh({ gateway: { sendLimit: { count: 3, windowMs: 60_000 } } });
    identify(raw);
    for (let i = 0; i < 3; i += 1)
      raw.send({
        op: GatewayOpcodes.PresenceUpdate,
        d: { since: null, activities: [], status: 'online', afk: false },
      });
    expect((await raw.closed).code).toBe(GatewayCloseCodes.RateLimited);
  });

  it('4009 when the heartbeats stop; the session cannot be resumed', async () => {
    const raw = await fresh({ gateway: { heartbeatIntervalMs: 50, heartbeatTimeoutMs: 100 } });
    identify(raw);
    expect((await raw.closed).code).toBe(GatewayCloseCodes.SessionTimedOut);
    expect(discord.gateway.sessions()).toEqual([]);
  });

  it('4010 for a shard outside the shard count', async () => {
    const raw = await fresh();
    identify(raw, { shard: [2, 2] });
    expect((await raw.closed).code).toBe(GatewayCloseCodes.InvalidShard);
  });

  it('4012 for an API version the gateway does not speak', async () => {
    const raw = await fresh({}, '?v=6&encoding=json');
    expect((await raw.closed).code).toBe(GatewayCloseCodes.InvalidAPIVersion);
  });

  it('two shards split the guilds by (guild_id >> 22) % 2', async () => {
    discord = await startLocalDiscord();
    const guilds = Array.from({ length: 6 }, () => shop(discord).guildId);
    const seen: string[][] = [];
    for (const shard of [0, 1]) {
      const raw = await open();
      await raw.next();
      identify(raw, { shard: [shard, 2] });
      const ready = await raw.next();
      seen.push((ready.d as { guilds: { id: string }[] }).guilds.map((g) => g.id));
    }
    expect([...(seen[0] ?? []), ...(seen[1] ?? [])].sort()).toEqual([...guilds].sort());
    for (const [shard, ids] of seen.entries())
      for (const id of ids) expect(Number((BigInt(id) >> 22n) % 2n)).toBe(shard);
  });
});
