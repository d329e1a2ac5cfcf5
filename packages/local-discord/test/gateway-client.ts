import { REST } from '@discordjs/rest';
import {
  WebSocketManager,
  WebSocketShardEvents,
  type CompressionMethod,
  type SessionInfo,
} from '@discordjs/ws';
import type { GatewayDispatchEvents, GatewayDispatchPayload } from 'discord-api-types/v10';
import WebSocket from 'ws';
import type { LocalDiscord } from '../src/index.js';

/** How long a test waits for something the gateway should send before it fails with a message. */
const DEADLINE_MS = 10_000;

/** Rejects with `what` if `promise` has not settled within the deadline. */
export async function within<T>(promise: Promise<T>, what: string, ms = DEADLINE_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`gave up waiting for ${what} after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

export interface GatewayClient {
  manager: WebSocketManager;
  /** Every dispatch received, in order. */
  dispatches: GatewayDispatchPayload[];
  /** Debug lines of the shard (where it connected, what it resumed). */
  debug: string[];
  /** The first dispatch of type `t` at or after index `from` that passes `test`, now or when it arrives. */
  dispatch<T extends GatewayDispatchEvents>(
    t: T,
    from: number,
    test?: (payload: Extract<GatewayDispatchPayload, { t: T }>) => boolean,
  ): Promise<Extract<GatewayDispatchPayload, { t: T }>>;
  /** The next time the manager emits `event`. */
  next(event: WebSocketShardEvents): Promise<unknown[]>;
  close(): Promise<void>;
}

export interface GatewayClientOptions {
  intents: number;
  token?: string;
  compression?: CompressionMethod | null;
}

/**
 * The real @discordjs/ws client pointed at the Local Discord: it reads GET /gateway/bot through
 * @discordjs/rest and connects where that says. Two settings differ from its defaults, both about
 * the client, not the server: a session store of its own (the default one is shared by every
 * manager in the process) and no 5-second wait between identifies (Discord's max_concurrency
 * pacing, which only slows these tests down).
 */
export function gatewayClient(discord: LocalDiscord, options: GatewayClientOptions): GatewayClient {
  const sessions = new Map<number, SessionInfo>();
  const rest = new REST({ api: `${discord.url}/api`, version: '10' }).setToken(discord.botToken);
  const manager = new WebSocketManager({
    token: options.token ?? discord.botToken,
    intents: options.intents,
    rest,
    compression: options.compression ?? null,
    retrieveSessionInfo: (shardId) => sessions.get(shardId) ?? null,
    updateSessionInfo: (shardId, info) => {
      if (info) sessions.set(shardId, info);
      else sessions.delete(shardId);
    },
    buildIdentifyThrottler: () => Promise.resolve({ waitForIdentify: () => Promise.resolve() }),
  });
  const dispatches: GatewayDispatchPayload[] = [];
  const debug: string[] = [];
  const arrived = new Set<() => void>();
  manager.on(WebSocketShardEvents.Dispatch, (payload) => {
    dispatches.push(payload);
    for (const wake of arrived) wake();
  });
  manager.on(WebSocketShardEvents.Debug, (message) => debug.push(message));
  // Without a listener an 'error' event would throw inside the client.
  manager.on(WebSocketShardEvents.Error, () => undefined);

  return {
    manager,
    dispatches,
    debug,
    dispatch: (t, from, test = () => true) => {
      type Wanted = Extract<GatewayDispatchPayload, { t: typeof t }>;
      const find = (): Wanted | undefined =>
        dispatches.slice(from).find((p): p is Wanted => p.t === t && test(p as Wanted));
      return within(
        new Promise<Wanted>((resolve) => {
          const check = (): void => {
            const found = find();
            if (!found) return;
            arrived.delete(check);
            resolve(found);
          };
          arrived.add(check);
          check();
        }),
        `a ${t} dispatch`,
      );
    },
    next: (event) =>
      within(
        new Promise<unknown[]>((resolve) => manager.once(event, (...args: unknown[]) => resolve(args))),
        event,
      ),
    close: async () => {
      await manager.destroy();
    },
  };
}

/** A gateway payload as a raw client sees it. */
export interface RawPayload {
  op: number;
  d: unknown;
  s: number | null;
  t: string | null;
}

/** A bare WebSocket client, for what @discordjs/ws never does (bad payloads, missed heartbeats). */
export interface RawGateway {
  socket: WebSocket;
  /** The next payload not yet taken. */
  next(): Promise<RawPayload>;
  send(payload: unknown): void;
  /** The close code and reason the server closed with. */
  closed: Promise<{ code: number; reason: string }>;
}

export async function rawGateway(discord: LocalDiscord, query = '?v=10&encoding=json'): Promise<RawGateway> {
  const socket = new WebSocket(`${discord.gateway.url}${query}`);
  const queue: RawPayload[] = [];
  const waiting: Array<(payload: RawPayload) => void> = [];
  socket.on('message', (data) => {
    const payload = JSON.parse(String(data)) as RawPayload;
    const waiter = waiting.shift();
    if (waiter) waiter(payload);
    else queue.push(payload);
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  await within(new Promise((resolve) => socket.once('open', resolve)), 'the WebSocket to open');
  return {
    socket,
    next: () => {
      const queued = queue.shift();
      if (queued) return Promise.resolve(queued);
      return within(new Promise<RawPayload>((resolve) => waiting.push(resolve)), 'a gateway payload');
    },
    send: (payload) => socket.send(typeof payload === 'string' ? payload : JSON.stringify(payload)),
    closed: within(closed, 'the server to close the connection'),
  };
}
