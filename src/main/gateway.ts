import type { AppContext } from '../app/shared/context.js';
import { GatewayListener, type GatewayListenerOptions } from '../app/access/gateway-listener.js';
import { gatewayOpener } from '../adapters/discord/gateway.js';

/**
 * Starts the gateway listener when GATEWAY=on and a bot token is configured; null otherwise (then
 * only the periodic reconcile repairs drift, and the server health says so).
 */
export function startGatewayListener(
  ctx: AppContext,
  options: Omit<GatewayListenerOptions, 'open'> = {},
): GatewayListener | null {
  const { GATEWAY, DISCORD_BOT_TOKEN, DISCORD_API_URL, DISCORD_PROXY_URL } = ctx.config;
  if (GATEWAY === 'off') {
    ctx.log.info('gateway listener off (GATEWAY=off): drift is repaired by the periodic reconcile');
    return null;
  }
  if (!DISCORD_BOT_TOKEN) return null;
  const listener = new GatewayListener(ctx, {
    ...options,
    // Its one REST call (Get Gateway Bot) spends the shared budget too when there is a proxy (0017).
    open: gatewayOpener({
      apiUrl: DISCORD_PROXY_URL ? `${DISCORD_PROXY_URL.replace(/\/$/, '')}/api` : DISCORD_API_URL,
      token: DISCORD_BOT_TOKEN,
    }),
  });
  listener.start();
  return listener;
}
