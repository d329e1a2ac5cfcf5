import { afterEach, describe, expect, it } from 'vitest';
import { RequestAccounting } from '../src/accounting.js';
import { startLocalDiscord, type AccountingReport, type LocalDiscord } from '../src/index.js';
import { DEFAULT_ROUTE_LIMITS, RateLimiter } from '../src/ratelimit.js';

/** The busiest 1,000 ms of `times`, counted by brute force: the reference for the accounting. */
function busiestSecond(times: Float64Array): number {
  let best = 0;
  for (const end of times) best = Math.max(best, times.filter((t) => t > end - 1000 && t <= end).length);
  return best;
}

describe('request accounting', () => {
  it('finds the busiest 1,000 ms whatever its phase, per caller and overall', () => {
    const accounting = new RequestAccounting(() => 0);
    // Arrivals are stamped in the order the server takes them.
    for (const at of [0, 500, 999, 1000]) accounting.arrived('bot:1', at);
    accounting.arrived('ip:127.0.0.1', 1200);
    for (const at of [1499.9, 1999]) accounting.arrived('bot:1', at);

    const report = accounting.report();
    // (499.9, 1499.9] holds 500, 999, 1000 and 1499.9 — no window aligned to whole seconds does.
    expect(report.maxPerSecond.byCaller).toEqual({ 'bot:1': 4, 'ip:127.0.0.1': 1 });
    expect(report.maxPerSecond.all).toBe(5);
    expect(report.requests).toBe(7);
    expect(busiestSecond(accounting.arrivals('bot:1'))).toBe(4);
  });

  it('counts 429s by kind, and as invalid requests 401, 403 and 429 except shared, over a sliding ten minutes', () => {
    let now = 0;
    const accounting = new RequestAccounting(() => now);
    accounting.answered(401, null);
    accounting.answered(429, 'global');
    accounting.answered(429, 'user');
    accounting.answered(429, 'shared');
    accounting.answered(404, null);
    now = 5 * 60_000;
    accounting.answered(403, null);
    now = 10 * 60_000 + 1;

    const report: AccountingReport = accounting.report();
    expect(report.rateLimited).toEqual({ global: 1, route: 1, shared: 1 });
    expect(report.invalidRequests).toEqual({ last10Minutes: 1, peak10Minutes: 4, total: 4 });
  });
});

describe('the global rate limit', () => {
  const limiterOf = (window: 'fixed' | 'sliding') =>
    new RateLimiter(5, DEFAULT_ROUTE_LIMITS, window, () => 0);
  /** Which of these arrivals the limiter lets through. */
  const admitted = (limiter: RateLimiter, times: number[]) =>
    times.filter((at) => limiter.takeGlobal('bot', at) === undefined);

  const burstAroundAnEdge = [0, 999, 999, 999, 999, 1000, 1000, 1000, 1000, 1000];

  it('fixed (the default, as Discord is believed to count): up to 2N − 1 pass within 1,000 ms across a window edge', () => {
    const passed = admitted(limiterOf('fixed'), burstAroundAnEdge);
    expect(passed).toEqual([0, 999, 999, 999, 999, 1000, 1000, 1000, 1000, 1000]);
    expect(busiestSecond(Float64Array.from(passed))).toBe(9);
  });

  it('sliding (the strict reading): never more than N within any 1,000 ms', () => {
    const passed = admitted(limiterOf('sliding'), burstAroundAnEdge);
    expect(passed).toEqual([0, 999, 999, 999, 999, 1000]);
    expect(busiestSecond(Float64Array.from(passed))).toBe(5);
  });

  it('sliding: the wait it asks for is until the oldest request leaves the window', () => {
    const limiter = limiterOf('sliding');
    for (const at of [100, 200, 300, 400, 500]) expect(limiter.takeGlobal('bot', at)).toBeUndefined();
    expect(limiter.takeGlobal('bot', 600)).toBe(500);
    expect(limiter.takeGlobal('bot', 1100)).toBeUndefined();
  });
});

describe('accounting over HTTP', () => {
  let discord: LocalDiscord;
  afterEach(async () => {
    await discord.close();
  });

  it('records what arrived and how it was answered; the report is also at GET /_local/report', async () => {
    discord = await startLocalDiscord({ globalRateLimitPerSecond: 3, globalRateLimitWindow: 'sliding' });
    const headers = { Authorization: `Bot ${discord.botToken}` };
    const statuses: number[] = [];
    for (let i = 0; i < 6; i += 1)
      statuses.push((await fetch(`${discord.apiBaseUrl}/v10/users/@me`, { headers })).status);
    statuses.push(
      (await fetch(`${discord.apiBaseUrl}/v10/users/@me`, { headers: { Authorization: 'Bot wrong' } }))
        .status,
    );
    await fetch(`${discord.url}/member`);

    const limited = statuses.filter((status) => status === 429).length;
    expect(limited).toBeGreaterThan(0);
    const bot = `bot:${discord.botUserId}`;
    const report = discord.accountingReport();
    expect(report.requests).toBe(7);
    expect(report.rateLimited).toEqual({ global: limited, route: 0, shared: 0 });
    expect(report.invalidRequests.total).toBe(limited + 1);
    expect(discord.invalidRequestCount).toBe(limited + 1);
    expect(report.maxPerSecond.byCaller[bot]).toBe(busiestSecond(discord.arrivalTimes(bot)));
    expect(discord.arrivalTimes()).toHaveLength(7);

    const overHttp = await fetch(`${discord.url}/_local/report`, { headers });
    expect(await overHttp.json()).toMatchObject({ accounting: { requests: 7 }, gateway: { sessions: [] } });
    expect((await fetch(`${discord.url}/_local/report`)).status).toBe(401);
    discord.resetCounters();
    expect(discord.accountingReport()).toMatchObject({ requests: 0, invalidRequests: { total: 0 } });
  });
});
