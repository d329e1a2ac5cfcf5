import type { AppContext } from '../../app/context.js';
import type { Ports } from '../../app/ports.js';
import { DiscordBudget } from './budget.js';
import { DiscordRestAdapter } from './rest.js';

/** The Discord adapter when a bot token is configured (real Discord, or the local one via DISCORD_API_URL). */
export function discordPorts(ctx: AppContext): Partial<Ports> {
  const { DISCORD_BOT_TOKEN, DISCORD_API_URL, DISCORD_APPLICATION_ID, DISCORD_CLIENT_SECRET } = ctx.config;
  if (!DISCORD_BOT_TOKEN) return {};
  const { DISCORD_PROXY_URL, DISCORD_GLOBAL_LIMIT, DISCORD_LIMIT_MARGIN_MS } = ctx.config;
  return {
    discord: new DiscordRestAdapter({
      // Through the shared proxy when there is one: it holds the one budget of every process.
      apiUrl: DISCORD_PROXY_URL ? `${DISCORD_PROXY_URL.replace(/\/$/, '')}/api` : DISCORD_API_URL,
      botToken: DISCORD_BOT_TOKEN,
      budget: new DiscordBudget({ limit: DISCORD_GLOBAL_LIMIT, marginMs: DISCORD_LIMIT_MARGIN_MS }),
      ...(DISCORD_APPLICATION_ID ? { applicationId: DISCORD_APPLICATION_ID } : {}),
      ...(DISCORD_CLIENT_SECRET ? { clientSecret: DISCORD_CLIENT_SECRET } : {}),
    }),
  };
}
