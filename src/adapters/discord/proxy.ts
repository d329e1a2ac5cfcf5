import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { REST } from '@discordjs/rest';
import { proxyRequests } from '@discordjs/proxy';
import type { Logger } from 'pino';
import { DiscordBudget, type DiscordBudgetOptions } from './budget.js';

/**
 * `rolegate discord-proxy` (decision 0017): the one process that talks to Discord for every
 * Rolegate process of a deployment. @discordjs/proxy forwards each request (with the caller's bot
 * token) through one @discordjs/rest instance, so the per-route buckets learned from Discord's
 * headers are shared; its `makeRequest` spends one DiscordBudget, so the global limit and the
 * invalid-request budget are shared too. Callers point DISCORD_PROXY_URL at it.
 */

export interface DiscordProxyOptions extends DiscordBudgetOptions {
  /** Discord's API base, e.g. `https://discord.com/api` (DISCORD_API_URL). */
  upstream: string;
  host: string;
  port: number;
  log: Logger;
  /** Upstream timeout per request, ms. Default 15 000. */
  timeoutMs?: number;
}

export interface DiscordProxy {
  url: string;
  budget: DiscordBudget;
  close(): Promise<void>;
}

export async function startDiscordProxy(options: DiscordProxyOptions): Promise<DiscordProxy> {
  const budget = new DiscordBudget(options);
  const rest = new REST({
    api: options.upstream.replace(/\/$/, ''),
    version: '10',
    timeout: options.timeoutMs ?? 15_000,
    // The budget's sliding window binds; the library's fixed one-second window must not bind first.
    globalRequestsPerSecond: budget.limit * 2,
    makeRequest: budget.wrap(),
  });
  rest.on('rateLimited', (info) =>
    options.log.warn(
      { route: info.route, global: info.global, retryAfter: info.retryAfter, scope: info.scope },
      'Discord rate limit: waiting',
    ),
  );
  const forward = proxyRequests(rest);
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (req.method === 'GET' && req.url === '/healthz') {
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({
          ok: true,
          limit: budget.limit,
          windowMs: budget.windowMs,
          sent: budget.stats.sent,
          invalidLast10Minutes: budget.invalidInWindow(),
        }),
      );
      return;
    }
    // Every answer the library knows sets its own status; anything else (Discord unreachable) must
    // not leave as the default 200 (an empty "success"): the caller sees 502 and its job retries.
    res.statusCode = 502;
    Promise.resolve(forward(req, res)).catch((err: unknown) => {
      options.log.warn({ err, url: req.url }, 'Discord proxy: upstream request failed');
      if (!res.writableEnded) res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${host}:${port}`,
    budget,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
