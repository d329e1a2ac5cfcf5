import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { runDiscordCommand } from '../../src/cli/discord.js';
import { startLocalDiscord, type LocalDiscord } from '@rolegate/local-discord';

describe('rolegate discord register-commands', () => {
  let discord: LocalDiscord;
  beforeAll(async () => {
    discord = await startLocalDiscord();
  });
  afterAll(() => discord.close());

  const run = (rest: string[] = []) =>
    runDiscordCommand(
      'register-commands',
      rest,
      loadConfig({
        DISCORD_API_URL: discord.apiBaseUrl,
        DISCORD_BOT_TOKEN: discord.botToken,
        DISCORD_APPLICATION_ID: discord.applicationId,
      }),
    );

  it('bulk-overwrites the global /claim and /access commands, idempotently', async () => {
    await run();
    await run();
    const commands = discord.commands();
    expect(commands.map((c) => c.name).sort()).toEqual(['access', 'claim']);
    const claim = commands.find((c) => c.name === 'claim');
    expect(claim?.options).toEqual([expect.objectContaining({ name: 'code', type: 3, required: true })]);
    expect(discord.invalidRequestCount).toBe(0);
  });

  it('registers in one guild with --guild', async () => {
    const guild = discord.createGuild({ name: 'Test' });
    await run(['--guild', guild.id]);
    expect(
      discord
        .commands(guild.id)
        .map((c) => c.name)
        .sort(),
    ).toEqual(['access', 'claim']);
  });
});
