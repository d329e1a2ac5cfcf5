import { HTTPError, RateLimitError } from '@discordjs/rest';
import { Routes } from 'discord-api-types/v10';
import { afterEach, describe, expect, it } from 'vitest';
import { discordError, shop, startHarness, type Harness } from './helpers.js';

let h: Harness;
afterEach(async () => {
  await h.discord.close();
});

const botHeaders = (): Record<string, string> => ({ Authorization: `Bot ${h.discord.botToken}` });

describe('global rate limit', () => {
  it('answers 429 with Retry-After and the global headers once the per-second budget is spent', async () => {
    h = await startHarness({ globalRateLimitPerSecond: 5 });
    const url = `${h.discord.url}/api/v10/users/@me`;
    const statuses: number[] = [];
    let limited: Response | undefined;
    for (let i = 0; i < 7; i += 1) {
      const res = await fetch(url, { headers: botHeaders() });
      statuses.push(res.status);
      if (res.status === 429) limited ??= res;
    }
    expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
    expect(statuses.slice(5)).toEqual([429, 429]);
    expect(limited?.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
    expect(limited?.headers.get('x-ratelimit-global')).toBe('true');
    expect(limited?.headers.get('x-ratelimit-scope')).toBe('global');
    expect(limited?.headers.get('content-type')).toBe('application/json');
    const body = (await limited?.json()) as { message: string; retry_after: number; global: boolean };
    expect(body).toMatchObject({ message: 'You are being rate limited.', global: true });
    expect(body.retry_after).toBeGreaterThan(0);
    expect(body.retry_after).toBeLessThanOrEqual(1);
    expect(h.discord.invalidRequestCount).toBe(2);
  });

  it('@discordjs/rest waits the 429 out and every request succeeds', async () => {
    h = await startHarness({ globalRateLimitPerSecond: 5 });
    const { guildId } = shop(h.discord);
    const users = Array.from({ length: 12 }, (_, i) => h.discord.createUser({ username: `u${i}` }).id);
    for (const id of users) h.discord.addMember(guildId, id);
    const started = Date.now();
    const members = await Promise.all(users.map((id) => h.api.guilds.getMember(guildId, id)));
    expect(members.map((m) => m.user.id)).toEqual(users);
    const log = h.discord.requestLog;
    expect(log.filter((e) => e.status === 429 && e.rateLimitScope === 'global').length).toBeGreaterThan(0);
    expect(log.filter((e) => e.status === 200)).toHaveLength(12);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
  });

  it('sends per-route X-RateLimit headers and a 429 of scope user when a bucket is empty', async () => {
    h = await startHarness({ routeLimits: { memberRoles: { limit: 2, windowMs: 60_000 } } });
    const { guildId, roleId, userId } = shop(h.discord);
    const url = `${h.discord.url}/api/v10${Routes.guildMemberRole(guildId, userId, roleId)}`;
    const first = await fetch(url, { method: 'PUT', headers: botHeaders() });
    expect(first.status).toBe(204);
    expect(first.headers.get('x-ratelimit-limit')).toBe('2');
    expect(first.headers.get('x-ratelimit-remaining')).toBe('1');
    expect(Number(first.headers.get('x-ratelimit-reset-after'))).toBeGreaterThan(59);
    expect(first.headers.get('x-ratelimit-bucket')).toMatch(/^[0-9a-f]{32}$/);
    await fetch(url, { method: 'DELETE', headers: botHeaders() });
    const third = await fetch(url, { method: 'PUT', headers: botHeaders() });
    expect(third.status).toBe(429);
    expect(third.headers.get('x-ratelimit-scope')).toBe('user');
    expect(third.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(await third.json()).toMatchObject({ global: false });
    // Another guild has its own bucket.
    const other = shop(h.discord);
    const elsewhere = await fetch(
      `${h.discord.url}/api/v10${Routes.guildMemberRole(other.guildId, other.userId, other.roleId)}`,
      {
        method: 'PUT',
        headers: botHeaders(),
      },
    );
    expect(elsewhere.status).toBe(204);
  });

  it('exempts interaction callbacks from the global limit', async () => {
    h = await startHarness({ globalRateLimitPerSecond: 1 });
    await fetch(`${h.discord.url}/api/v10/users/@me`, { headers: botHeaders() });
    expect((await fetch(`${h.discord.url}/api/v10/users/@me`, { headers: botHeaders() })).status).toBe(429);
    const callback = await fetch(`${h.discord.url}/api/v10/interactions/1/abc/callback`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ type: 4, data: { content: 'x' } }),
    });
    expect([callback.status, await callback.json()]).toEqual([
      404,
      { message: 'Unknown interaction', code: 10062 },
    ]);
  });
});

describe('scripted faults', () => {
  it('a 500 then success: @discordjs/rest retries and succeeds', async () => {
    h = await startHarness();
    const { guildId, roleId, userId } = shop(h.discord);
    h.discord.faults.next({ match: { method: 'PUT', pathIncludes: '/roles/' }, status: 500, count: 2 });
    await h.api.guilds.addRoleToMember(guildId, userId, roleId);
    expect(h.discord.getMember(guildId, userId)?.roles).toEqual([roleId]);
    expect(h.discord.requestLog.map((e) => [e.status, e.fault])).toEqual([
      [500, 'status'],
      [500, 'status'],
      [204, null],
    ]);
    expect(h.discord.faults.pending).toBe(0);
  });

  it('more 5xx than retries: HTTPError with the status', async () => {
    h = await startHarness();
    const { guildId, roleId, userId } = shop(h.discord);
    h.discord.faults.next({ status: 503, count: 4 });
    const error = await h.api.guilds.addRoleToMember(guildId, userId, roleId).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HTTPError);
    expect((error as HTTPError).status).toBe(503);
    expect(h.discord.getMember(guildId, userId)?.roles).toEqual([]);
  });

  it('a 429 storm with Retry-After is waited out; shared-scope 429s are not invalid requests', async () => {
    h = await startHarness();
    h.discord.faults.next({ status: 429, count: 2, retryAfterSeconds: 0.2, scope: 'shared' });
    const started = Date.now();
    await expect(h.api.users.getCurrent()).resolves.toMatchObject({ id: h.discord.botUserId });
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
    expect(h.discord.requestLog.map((e) => e.status)).toEqual([429, 429, 200]);
    expect(h.discord.invalidRequestCount).toBe(0);
    h.discord.faults.next({ status: 429, retryAfterSeconds: 0.1 });
    await h.api.users.getCurrent();
    expect(h.discord.invalidRequestCount).toBe(1);
  });

  it('with rejectOnRateLimit the client gets a RateLimitError carrying Retry-After and scope', async () => {
    h = await startHarness({}, { rejectOnRateLimit: () => true });
    h.discord.faults.next({ status: 429, retryAfterSeconds: 3, match: { method: 'GET' } });
    const error = await h.api.users.getCurrent().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimitError);
    expect(error).toMatchObject({ retryAfter: 3050, scope: 'user', global: false });
  });

  it('a timeout hangs until the client gives up; the next request is served', async () => {
    h = await startHarness({}, { timeout: 300, retries: 0 });
    h.discord.faults.next({ timeout: true, match: { pathIncludes: '/users/' } });
    await expect(h.api.users.getCurrent()).rejects.toThrow(/abort/i);
    expect(h.discord.requestLog.at(-1)).toMatchObject({ status: 0, fault: 'timeout' });
    await expect(h.api.users.getCurrent()).resolves.toMatchObject({ id: h.discord.botUserId });
  });

  it('delayMs slows a request down without failing it', async () => {
    h = await startHarness();
    h.discord.faults.next({ delayMs: 150 });
    const started = Date.now();
    await h.api.users.getCurrent();
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });
});

describe('auth and invalid-request accounting', () => {
  it('answers 401 with code 0 to a bad bot token; counts 401/403/429 but not 404', async () => {
    h = await startHarness();
    const { guildId } = shop(h.discord);
    const bad = await fetch(`${h.discord.url}/api/v10/guilds/${guildId}`, {
      headers: { Authorization: 'Bot nope' },
    });
    expect([bad.status, await bad.json()]).toEqual([401, { message: '401: Unauthorized', code: 0 }]);
    expect(h.discord.requestLog.at(-1)?.auth).toBe('invalid');
    const none = await fetch(`${h.discord.url}/api/v10/users/@me`);
    expect(none.status).toBe(401);
    h.discord.removeBot(guildId);
    expect((await discordError(h.api.guilds.getMembers(guildId))).status).toBe(403);
    expect((await discordError(h.api.guilds.get('42'))).status).toBe(404);
    expect(h.discord.invalidRequestCount).toBe(3);
    const unknownRoute = await fetch(`${h.discord.url}/api/v10/nope`, { headers: botHeaders() });
    expect([unknownRoute.status, await unknownRoute.json()]).toEqual([
      404,
      { message: '404: Not Found', code: 0 },
    ]);
    h.discord.resetCounters();
    expect([h.discord.invalidRequestCount, h.discord.requestLog.length]).toEqual([0, 0]);
  });

  it('@discordjs/rest forgets the token after a 401, as the reference warns', async () => {
    h = await startHarness();
    h.rest.setToken('wrong');
    expect((await discordError(h.api.users.getCurrent())).status).toBe(401);
    await expect(h.api.users.getCurrent()).rejects.toThrow(/token/i);
  });
});
