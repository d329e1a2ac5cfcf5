import { afterEach, describe, expect, it } from 'vitest';
import type { LocalDiscordSummary } from '../src/cli.js';
import { killLeftovers, runBinToEnd, startBin } from './run-bin.js';

afterEach(killLeftovers);

async function getJson(url: string, botToken?: string): Promise<{ status: number; body: unknown }> {
  const response = await fetch(url, botToken ? { headers: { authorization: `Bot ${botToken}` } } : {});
  return { status: response.status, body: await response.json() };
}

describe('the local-discord command', () => {
  it('runs alone with a seeded guild: the printed bot token reads it over the API, and SIGTERM stops it', async () => {
    const bin = await startBin(['--port', '0', '--json']);
    const summary = JSON.parse(bin.firstLine) as LocalDiscordSummary;
    expect(summary.apiBaseUrl).toBe(`${summary.url}/api`);
    expect(summary.world).not.toBeNull();
    const guildId = summary.world?.guildId ?? '';
    const me = await getJson(`${summary.apiBaseUrl}/v10/users/@me`, summary.botToken);
    expect(me).toMatchObject({ status: 200, body: { bot: true } });
    const guild = await getJson(`${summary.apiBaseUrl}/v10/guilds/${guildId}`, summary.botToken);
    expect(guild).toMatchObject({ status: 200, body: { id: guildId, name: 'Demo Server' } });
    const gateway = await getJson(`${summary.apiBaseUrl}/v10/gateway/bot`, summary.botToken);
    expect(gateway).toMatchObject({ status: 200, body: { url: summary.gatewayUrl, shards: 1 } });
    const page = await fetch(summary.memberViewUrl ?? '');
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Demo Server');
    expect(await bin.stop()).toBe(0);
  });

  it('starts empty with --empty and prints a banner headed by the URL it listens on', async () => {
    const bin = await startBin(['--port', '0', '--empty', '--bot-token', 'chosen.bot.token']);
    const url = /^Local Discord listening on (http:\/\/127\.0\.0\.1:\d+)$/.exec(bin.firstLine)?.[1] ?? '';
    expect(url).not.toBe('');
    const me = await getJson(`${url}/api/v10/users/@me`, 'chosen.bot.token');
    expect(me.status).toBe(200);
    const memberView = await fetch(`${url}/member`);
    expect(await memberView.text()).not.toContain('Demo Server');
    expect(await bin.stop()).toBe(0);
  });

  it('refuses an unknown option with the usage text and exit code 2', async () => {
    const result = await runBinToEnd(['--port', 'many']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('Usage: local-discord');
  });
});
