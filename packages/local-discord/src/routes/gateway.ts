import type { RequestAccounting } from '../accounting.js';
import type { LocalGateway } from '../gateway/gateway.js';
import type { RouteDef } from '../router.js';

/**
 * Get Gateway (no auth) and Get Gateway Bot: where to connect, how many shards, and the session
 * start limit. @discordjs/ws reads these before it connects.
 */
export function gatewayRoutes(gateway: LocalGateway): RouteDef[] {
  return [
    {
      method: 'GET',
      pattern: '/gateway',
      auth: 'none',
      bucket: null,
      handle: () => ({ status: 200, body: { url: gateway.url } }),
    },
    {
      method: 'GET',
      pattern: '/gateway/bot',
      auth: 'bot',
      bucket: null,
      handle: () => ({ status: 200, body: gateway.gatewayBotInfo() }),
    },
  ];
}

/**
 * The control routes under `/_local/` (bot token auth, outside the API and its accounting), for
 * a benchmark or a person whose Local Discord runs in another process.
 */
export function controlRoutes(gateway: LocalGateway, accounting: RequestAccounting): RouteDef[] {
  const base = { auth: 'bot', bucket: null, globalExempt: true } as const;
  return [
    {
      ...base,
      method: 'GET',
      pattern: '/_local/report',
      handle: () => ({
        status: 200,
        body: { accounting: accounting.report(), gateway: { sessions: gateway.sessions() } },
      }),
    },
    {
      ...base,
      method: 'POST',
      pattern: '/_local/gateway/reconnect',
      handle: () => ({ status: 200, body: { asked: gateway.requestReconnect() } }),
    },
  ];
}
