import type { Config } from '../config.js';
import { startDiscordProxy } from '../adapters/discord/proxy.js';
import { createLogger } from '../ops/logger.js';

/**
 * `rolegate discord-proxy`: the one Discord budget of a deployment with several processes
 * (decision 0017). Listens on DISCORD_PROXY_HOST:DISCORD_PROXY_PORT and forwards to DISCORD_API_URL.
 */
export async function runDiscordProxy(config: Config): Promise<void> {
  const log = createLogger(config.LOG_LEVEL);
  const proxy = await startDiscordProxy({
    upstream: config.DISCORD_API_URL,
    host: config.DISCORD_PROXY_HOST,
    port: config.DISCORD_PROXY_PORT,
    limit: config.DISCORD_GLOBAL_LIMIT,
    marginMs: config.DISCORD_LIMIT_MARGIN_MS,
    log,
  });
  log.info(
    {
      url: proxy.url,
      upstream: config.DISCORD_API_URL,
      limit: proxy.budget.limit,
      windowMs: proxy.budget.windowMs,
    },
    'discord proxy listening',
  );
  // A line on stdout that scripts (and the multi-process benchmark) can wait for.
  console.log(`discord-proxy listening on ${proxy.url}`);
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await proxy.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}
