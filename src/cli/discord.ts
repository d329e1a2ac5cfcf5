import { ApplicationCommandOptionType, ApplicationCommandType } from 'discord-api-types/v10';
import type { Config } from '../config.js';
import { DiscordRestAdapter } from '../adapters/discord/rest.js';
import type { DiscordCommands, DiscordPort } from '../core/ports/discord.js';

/** The slash commands buyers use inside a server: `/claim CODE` and `/access`. */
export const slashCommands: DiscordCommands = [
  {
    type: ApplicationCommandType.ChatInput,
    name: 'claim',
    description: 'Link a purchase to your Discord account with the code from your email',
    options: [
      {
        type: ApplicationCommandOptionType.String,
        name: 'code',
        description: 'The claim code from your purchase email, like ABCD-1234',
        required: true,
        min_length: 8,
        max_length: 12,
      },
    ],
  },
  {
    type: ApplicationCommandType.ChatInput,
    name: 'access',
    description: 'Show what you bought on this server, and fix missing roles',
  },
];

/** Bulk-overwrites the application's commands (one PUT: idempotent, and it removes stale ones). */
export async function registerSlashCommands(discord: DiscordPort, applicationId: string, guildId?: string) {
  await discord.registerCommands(applicationId, slashCommands, guildId);
  return slashCommands.map((c) => `/${c.name}`);
}

/** `rolegate discord register-commands [--guild ID]`. */
export async function runDiscordCommand(
  sub: string | undefined,
  rest: string[],
  config: Config,
): Promise<void> {
  if (sub !== 'register-commands') {
    console.error('usage: rolegate discord register-commands [--guild GUILD_ID]');
    process.exitCode = 1;
    return;
  }
  const { DISCORD_BOT_TOKEN: botToken, DISCORD_APPLICATION_ID: applicationId } = config;
  if (!botToken || !applicationId) {
    console.error(
      'Set DISCORD_BOT_TOKEN and DISCORD_APPLICATION_ID first (Discord Developer Portal → your application).',
    );
    process.exitCode = 1;
    return;
  }
  const g = rest.indexOf('--guild');
  const guildId = g >= 0 ? rest[g + 1] : undefined;
  const discord = new DiscordRestAdapter({ apiUrl: config.DISCORD_API_URL, botToken, applicationId });
  const names = await registerSlashCommands(discord, applicationId, guildId);
  console.log(
    `registered ${names.join(', ')} ${guildId ? `in guild ${guildId}` : 'globally (may take a minute to appear)'}`,
  );
}
