import { REST } from '@discordjs/rest';
import { WebSocketManager, WebSocketShardEvents, type SessionInfo } from '@discordjs/ws';
import type { GatewayConnection, GatewayHandlers, OpenGateway } from '../../core/ports/gateway.js';

/**
 * One gateway connection through @discordjs/ws: it reads GET /gateway/bot, identifies, heartbeats,
 * resumes and reconnects by itself. This adapter only turns its events into calls of `handlers`.
 */

export interface OpenGatewayOptions {
  /** `https://discord.com/api` or the local Discord's `http://127.0.0.1:PORT/api`. */
  apiUrl: string;
  token: string;
  intents: number;
}

/** The gateway opener for the configured bot. */
export function gatewayOpener(options: Omit<OpenGatewayOptions, 'intents'>): OpenGateway {
  return (intents, handlers) => openGateway({ ...options, intents }, handlers);
}

export function openGateway(options: OpenGatewayOptions, handlers: GatewayHandlers): GatewayConnection {
  const rest = new REST({ api: options.apiUrl, version: '10' }).setToken(options.token);
  // A session store of its own: @discordjs/ws's default one is shared by every manager in the process.
  const sessions = new Map<number, SessionInfo>();
  const manager = new WebSocketManager({
    token: options.token,
    intents: options.intents,
    rest,
    shardCount: 1,
    retrieveSessionInfo: (shardId) => sessions.get(shardId) ?? null,
    updateSessionInfo: (shardId, info) => {
      if (info) sessions.set(shardId, info);
      else sessions.delete(shardId);
    },
  });
  manager.on(WebSocketShardEvents.Dispatch, (payload) => handlers.dispatch(payload));
  manager.on(WebSocketShardEvents.Ready, () => handlers.ready(false));
  manager.on(WebSocketShardEvents.Resumed, () => handlers.ready(true));
  manager.on(WebSocketShardEvents.Closed, (code) => handlers.closed(code));
  manager.on(WebSocketShardEvents.Debug, (message) => handlers.debug(message));
  // Final closes are also reported as errors; `closed` already carries the code.
  manager.on(WebSocketShardEvents.Error, (err) => handlers.debug(`gateway error: ${err.message}`));
  // connect() resolves on READY and never settles after a final close: events tell the story instead.
  manager
    .connect()
    .catch((err: unknown) => handlers.failed(err instanceof Error ? err : new Error(String(err))));
  let destroyed: Promise<void> | null = null;
  return {
    destroy: () =>
      (destroyed ??= (async () => {
        manager.removeAllListeners();
        manager.on(WebSocketShardEvents.Error, () => undefined);
        await Promise.resolve(manager.destroy()).catch(() => undefined);
      })()),
  };
}
