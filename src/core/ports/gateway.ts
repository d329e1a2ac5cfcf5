import type { GatewayDispatchPayload } from 'discord-api-types/v10';

/**
 * One Discord gateway connection (src/adapters/discord/gateway.ts, on @discordjs/ws). Identify,
 * heartbeat, resume and reconnect happen inside it; the listener (src/app/gateway-listener.ts)
 * only hears what arrives and how the connection ends.
 */
export interface GatewayHandlers {
  dispatch(payload: GatewayDispatchPayload): void;
  /** READY or RESUMED: the connection is live. */
  ready(resumed: boolean): void;
  /** The socket closed with `code`; the connection reconnects by itself unless the code is final. */
  closed(code: number): void;
  /** Connecting failed before a socket existed (e.g. GET /gateway/bot failed). */
  failed(err: Error): void;
  debug(message: string): void;
}

export interface GatewayConnection {
  destroy(): Promise<void>;
}

/** Opens a connection with these intents; it runs until destroyed or a final close code. */
export type OpenGateway = (intents: number, handlers: GatewayHandlers) => GatewayConnection;

/**
 * Close codes after which the connection gives up (authentication failed, invalid shard, sharding
 * required, invalid API version, invalid intents, disallowed intents). Anything else it resumes or
 * re-identifies on its own.
 */
export const FINAL_CLOSE_CODES: ReadonlySet<number> = new Set([4004, 4010, 4011, 4012, 4013, 4014]);

/** Identify asked for a privileged intent the application does not have switched on. */
export const DISALLOWED_INTENTS = 4014;
