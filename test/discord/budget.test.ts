import { afterEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { startLocalDiscord, type LocalDiscord } from '@rolegate/local-discord';
import { DiscordRestAdapter } from '../../src/adapters/discord/rest.js';
import { DiscordBudget } from '../../src/adapters/discord/budget.js';
import { startDiscordProxy, type DiscordProxy } from '../../src/adapters/discord/proxy.js';
import { FailureError } from '../../src/core/failure.js';

const LIMIT = 10;
const silent = pino({ level: 'silent' });

describe('one Discord budget: the sliding global limit, the invalid-request budget, the proxy', () => {
  let discord: LocalDiscord | undefined;
  let proxy: DiscordProxy | undefined;
  afterEach(async () => {
    await proxy?.close();
    await discord?.close();
    proxy = undefined;
    discord = undefined;
  });

  /** A guild with `n` members and a role the bot can give. */
  async function world(n: number) {
    discord = await startLocalDiscord({ globalRateLimitPerSecond: LIMIT, globalRateLimitWindow: 'sliding' });
    const guildId = discord.createGuild({ name: 'Budget' }).id;
    const roleId = discord.createRole(guildId, { name: 'Gold' }).id;
    const users: string[] = [];
    for (let i = 0; i < n; i++) {
      const id = discord.createUser({ username: `u${i}` }).id;
      discord.addMember(guildId, id);
      users.push(id);
    }
    return { d: discord, guildId, roleId, users };
  }

  it('never lets more than the limit reach Discord within any 1,000 ms, and draws no 429', async () => {
    const { d, guildId, roleId, users } = await world(35);
    const adapter = new DiscordRestAdapter({
      apiUrl: d.apiBaseUrl,
      botToken: d.botToken,
      globalRequestsPerSecond: LIMIT,
    });
    // Different buckets (role PUTs, member reads, guild reads) so the global limit is what binds.
    await Promise.all([
      ...users.map((u) => adapter.addRole(guildId, u, roleId, 'Rolegate test')),
      ...users.slice(0, 5).map((u) => adapter.getMember(guildId, u)),
      adapter.getGuild(guildId),
    ]);
    const report = d.accountingReport();
    expect(report.requests).toBe(41);
    expect(Math.max(...Object.values(report.maxPerSecond.byCaller))).toBeLessThanOrEqual(LIMIT);
    expect(report.rateLimited).toEqual({ global: 0, route: 0, shared: 0 });
    for (const u of users) expect(d.getMember(guildId, u)?.roles).toEqual([roleId]);
  });

  it('holds every request once the invalid answers of the last 10 minutes reach the budget', async () => {
    const { d, guildId, roleId, users } = await world(1);
    d.moveRoleAboveBot(guildId, roleId); // every add of it is now a 403 (50013): an invalid request
    const budget = new DiscordBudget({ limit: LIMIT, invalidBudget: 3 });
    const adapter = new DiscordRestAdapter({
      apiUrl: d.apiBaseUrl,
      botToken: d.botToken,
      budget,
      timeoutMs: 300,
      retries: 0,
    });
    for (let i = 0; i < 3; i++)
      await expect(adapter.addRole(guildId, users[0]!, roleId, 'Rolegate test')).rejects.toBeInstanceOf(
        FailureError,
      );
    expect(budget.invalidInWindow()).toBe(3);
    expect(d.accountingReport().invalidRequests.total).toBe(3);
    const held = await adapter.getGuild(guildId).catch((e: unknown) => e);
    expect(held).toBeInstanceOf(FailureError);
    expect((held as FailureError).failure.owner).toBe('retry');
    expect(d.accountingReport().requests).toBe(3); // the fourth never left the process
    expect(budget.stats.heldForInvalid).toBeGreaterThan(0);
  });

  it('two processes through one proxy share the limit; the bot token and audit reason pass through', async () => {
    const { d, guildId, roleId, users } = await world(40);
    proxy = await startDiscordProxy({
      upstream: d.apiBaseUrl,
      host: '127.0.0.1',
      port: 0,
      limit: LIMIT,
      log: silent,
    });
    const viaProxy = () =>
      new DiscordRestAdapter({
        apiUrl: `${proxy!.url}/api`,
        botToken: d.botToken,
        globalRequestsPerSecond: LIMIT,
      });
    const [a, b] = [viaProxy(), viaProxy()];
    await Promise.all(
      users.map((u, i) =>
        (i % 2 === 0 ? a : b).addRole(guildId, u, roleId, `Rolegate grant grt_${i} (test)`),
      ),
    );
    const report = d.accountingReport();
    expect(report.requests).toBe(40);
    expect(Object.keys(report.maxPerSecond.byCaller)).toEqual([`bot:${d.botUserId}`]);
    expect(report.maxPerSecond.all).toBeLessThanOrEqual(LIMIT);
    expect(report.rateLimited).toEqual({ global: 0, route: 0, shared: 0 });
    expect(d.requestLog.at(-1)?.auditLogReason).toMatch(/^Rolegate grant grt_\d+ \(test\)$/);
    for (const u of users) expect(d.getMember(guildId, u)?.roles).toEqual([roleId]);
    // Unknown Member still reaches the caller as Discord said it.
    const ghost = d.createUser({ username: 'ghost' }).id;
    expect(await a.addRole(guildId, ghost, roleId, 'Rolegate test')).toBe('not_member');
  });

  it('a proxy that cannot reach Discord answers 502, never an empty success; a proxy down is a retry', async () => {
    const { d, guildId, roleId, users } = await world(1);
    const upstream = d.apiBaseUrl;
    await d.close();
    discord = undefined;
    proxy = await startDiscordProxy({
      upstream,
      host: '127.0.0.1',
      port: 0,
      limit: LIMIT,
      log: silent,
      timeoutMs: 2000,
    });
    const adapter = new DiscordRestAdapter({
      apiUrl: `${proxy.url}/api`,
      botToken: 'x'.repeat(20),
      retries: 0,
    });
    const failed = await adapter
      .addRole(guildId, users[0]!, roleId, 'Rolegate test')
      .catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(FailureError);
    expect((failed as FailureError).failure.owner).toBe('retry');
    const url = proxy.url;
    await proxy.close();
    proxy = undefined;
    const down = new DiscordRestAdapter({ apiUrl: `${url}/api`, botToken: 'x'.repeat(20), retries: 0 });
    const refused = await down.getGuild(guildId).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(FailureError);
    expect((refused as FailureError).failure.owner).toBe('retry');
  });
});
