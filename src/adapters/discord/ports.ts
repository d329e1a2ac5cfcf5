import type { AppContext } from '../../app/shared/context.js';
import type { Ports } from '../../core/ports/index.js';
import { DiscordRestAdapter } from './rest.js';

/** The Discord adapter when a bot token is configured (real Discord, or the local one via DISCORD_API_URL). */
export function discordPorts(ctx: AppContext): Partial<Ports> {
  const { DISCORD_BOT_TOKEN, DISCORD_API_URL, DISCORD_APPLICATION_ID, DISCORD_CLIENT_SECRET } = ctx.config;
  if (!DISCORD_BOT_TOKEN) return {};
  return {
    discord: new DiscordRestAdapter({
      apiUrl: DISCORD_API_URL,
      botToken: DISCORD_BOT_TOKEN,
      ...(DISCORD_APPLICATION_ID ? { applicationId: DISCORD_APPLICATION_ID } : {}),
      ...(DISCORD_CLIENT_SECRET ? { clientSecret: DISCORD_CLIENT_SECRET } : {}),
    }),
  };
}
