import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { GatewayDispatchEvents, type APIGatewayBotInfo } from 'discord-api-types/v10';
import { WebSocketServer, type WebSocket } from 'ws';
import type { WorldChange } from '../events.js';
import type { World } from '../world.js';
import { GatewayConnection, type ConnectionHandlers, type ConnectionLimits } from './connection.js';
import { dispatchesFor, guildCreatePayload, guildsOfShard, readyPayload, sessionGets } from './dispatches.js';
import {
  GatewayCloseCodes,
  GatewayIntentBits,
  GatewayOpcodes,
  KNOWN_INTENTS,
  PRIVILEGED_INTENT_BITS,
  closeEndsSession,
  type IdentifyData,
  type ResumeData,
} from './protocol.js';
import { GatewaySession, type GatewaySessionInfo } from './session.js';

export interface GatewayOptions {
  /** `heartbeat_interval` in Hello. Default 41,250 ms, as Discord sends. */
  heartbeatIntervalMs?: number;
  /** A connection without a heartbeat for this long is closed with 4009. Default 1.5 × the interval. */
  heartbeatTimeoutMs?: number;
  /** How long a session stays resumable after its connection went away. Default 3 minutes. */
  resumeWindowMs?: number;
  /** Dispatches a session keeps for replay on resume; older ones make resume fail (op 9). Default 5,000. */
  replayLimit?: number;
  /** Client payloads per connection per window before close 4008 (heartbeats not counted). Default 120 per 60 s. */
  sendLimit?: { count: number; windowMs: number };
}

export interface GatewayDispatchLogEntry {
  sessionId: string;
  t: string;
  s: number;
  /** False when the session had no connection: kept for replay only. */
  delivered: boolean;
}

/** Discord's session start limit: 1,000 identifies a day, one at a time. */
const SESSION_STARTS_PER_DAY = 1000;
const DAY_MS = 86_400_000;
/** Discord requires sharding from 2,500 guilds on one shard (close 4011). */
const MAX_GUILDS_PER_SHARD = 2500;
const DISPATCH_LOG_LIMIT = 50_000;

/**
 * The Local Discord's gateway (v10, JSON, optional zlib-stream) on `ws://HOST:PORT/gateway`:
 * sessions from identify, resume with replay, dispatches of the world's changes to the sessions
 * whose shard and intents allow them, and switches to make Discord's server-side moves.
 */
export class LocalGateway implements ConnectionHandlers {
  private readonly live = new Map<string, GatewaySession>();
  private readonly connections = new Set<GatewayConnection>();
  private readonly sockets = new WebSocketServer({ noServer: true, maxPayload: 1 << 20 });
  private readonly identifyTimes: number[] = [];
  private readonly limits: ConnectionLimits;
  private readonly resumeWindowMs: number;
  private readonly replayLimit: number;
  private readonly stopListening: () => void;
  readonly dispatchLog: GatewayDispatchLogEntry[] = [];

  constructor(
    private readonly world: World,
    options: GatewayOptions = {},
  ) {
    const heartbeatIntervalMs = options.heartbeatIntervalMs ?? 41_250;
    this.limits = {
      heartbeatIntervalMs,
      heartbeatTimeoutMs: options.heartbeatTimeoutMs ?? Math.round(heartbeatIntervalMs * 1.5),
      sendLimit: options.sendLimit ?? { count: 120, windowMs: 60_000 },
    };
    this.resumeWindowMs = options.resumeWindowMs ?? 180_000;
    this.replayLimit = options.replayLimit ?? 5000;
    this.stopListening = world.state.events.on((change) => this.dispatch(change));
  }

  /** `ws://HOST:PORT/gateway`, what GET /gateway/bot answers as `url`. */
  get url(): string {
    return `${this.world.baseUrl.replace(/^http/, 'ws')}/gateway`;
  }

  get identifyCount(): number {
    return this.identifyTimes.length;
  }

  /** Takes the upgrades for `/gateway` and `/gateway/resume`; refuses any other path. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== '/gateway' && url.pathname !== '/gateway/resume') {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
      return;
    }
    this.sockets.handleUpgrade(req, socket, head, (ws) => this.accept(ws, url.searchParams));
  }

  gatewayBotInfo(): APIGatewayBotInfo {
    const now = Date.now();
    while ((this.identifyTimes[0] ?? now) <= now - DAY_MS) this.identifyTimes.shift();
    const guilds = [...this.world.state.guilds.values()].filter((g) => this.world.state.botInGuild(g));
    return {
      url: this.url,
      // Discord recommends about one shard per 1,000 guilds.
      shards: Math.max(1, Math.ceil(guilds.length / 1000)),
      session_start_limit: {
        total: SESSION_STARTS_PER_DAY,
        remaining: Math.max(0, SESSION_STARTS_PER_DAY - this.identifyTimes.length),
        reset_after: this.identifyTimes[0] === undefined ? DAY_MS : this.identifyTimes[0] + DAY_MS - now,
        max_concurrency: 1,
      },
    };
  }

  sessions(): GatewaySessionInfo[] {
    return [...this.live.values()].map((session) => session.info());
  }

  /** op 7: every connected client should reconnect and resume. */
  requestReconnect(): number {
    return this.forEachConnected((connection) => connection.send({ op: GatewayOpcodes.Reconnect, d: null }));
  }

  /** op 1 from the server: every connected client must send a heartbeat now. */
  requestHeartbeat(): number {
    return this.forEachConnected((connection) => connection.send({ op: GatewayOpcodes.Heartbeat, d: null }));
  }

  dropConnections(): number {
    return this.forEachConnection((connection) => connection.terminate());
  }

  closeConnections(code: number, reason = ''): number {
    return this.forEachConnection((connection) => connection.close(code, reason));
  }

  /**
   * op 9 to every connected session. The connection stays open but is no longer authenticated: the
   * client resumes on it (`resumable`) or identifies again; unless resumable, the session is gone.
   */
  invalidateSessions(resumable = false): number {
    return this.forEachConnected((connection) => {
      const session = connection.session;
      if (session) {
        session.connection = null;
        session.disconnectedAt = Date.now();
        connection.session = null;
        if (!resumable) this.live.delete(session.id);
      }
      connection.send({ op: GatewayOpcodes.InvalidSession, d: resumable });
    });
  }

  close(): void {
    this.stopListening();
    this.dropConnections();
    this.sockets.close();
  }

  identify(connection: GatewayConnection, data: IdentifyData): void {
    if (data.token !== this.world.app.botToken)
      return connection.close(GatewayCloseCodes.AuthenticationFailed, 'Authentication failed.');
    if ((data.intents & ~KNOWN_INTENTS) !== 0)
      return connection.close(GatewayCloseCodes.InvalidIntents, 'Invalid intent(s).');
    if (!this.privilegedIntentsAllowed(data.intents))
      return connection.close(GatewayCloseCodes.DisallowedIntents, 'Disallowed intent(s).');
    const [shardId, shardCount] = data.shard;
    if (shardCount < 1 || shardId < 0 || shardId >= shardCount)
      return connection.close(GatewayCloseCodes.InvalidShard, 'Invalid shard.');
    if (guildsOfShard(this.world, data.shard).length > MAX_GUILDS_PER_SHARD)
      return connection.close(GatewayCloseCodes.ShardingRequired, 'Sharding required.');
    this.identifyTimes.push(Date.now());
    const session = new GatewaySession(
      randomBytes(16).toString('hex'),
      data.intents,
      data.shard,
      data.largeThreshold,
      this.replayLimit,
    );
    this.live.set(session.id, session);
    this.attach(session, connection);
    this.send(session, GatewayDispatchEvents.Ready, readyPayload(this.world, session, `${this.url}/resume`));
    if ((session.intents & GatewayIntentBits.Guilds) === 0) return;
    for (const guild of guildsOfShard(this.world, session.shard))
      this.send(session, GatewayDispatchEvents.GuildCreate, guildCreatePayload(this.world, guild, session));
  }

  resume(connection: GatewayConnection, data: ResumeData): void {
    if (data.token !== this.world.app.botToken)
      return connection.close(GatewayCloseCodes.AuthenticationFailed, 'Authentication failed.');
    const session = this.live.get(data.sessionId);
    if (!session || this.expired(session)) {
      if (session) this.live.delete(session.id);
      return connection.send({ op: GatewayOpcodes.InvalidSession, d: false });
    }
    if (data.seq > session.sequence) {
      // 4007 means "start a new session": this one is over.
      this.live.delete(session.id);
      return connection.close(GatewayCloseCodes.InvalidSeq, 'Invalid seq.');
    }
    const missed = session.since(data.seq);
    if (missed === null) {
      // What the client missed is no longer kept: it must start a new session.
      this.live.delete(session.id);
      return connection.send({ op: GatewayOpcodes.InvalidSession, d: false });
    }
    const previous = session.connection;
    if (previous) {
      previous.session = null;
      previous.close(GatewayCloseCodes.UnknownError, 'Session resumed elsewhere.');
    }
    this.attach(session, connection);
    for (const dispatch of missed) connection.send({ op: GatewayOpcodes.Dispatch, ...dispatch });
    connection.send({
      op: GatewayOpcodes.Dispatch,
      t: GatewayDispatchEvents.Resumed,
      s: session.nextSequence(),
      d: {},
    });
  }

  closed(connection: GatewayConnection, code: number): void {
    this.connections.delete(connection);
    const session = connection.session;
    if (!session || session.connection !== connection) return;
    session.connection = null;
    session.disconnectedAt = Date.now();
    if (closeEndsSession(code)) this.live.delete(session.id);
  }

  private accept(ws: WebSocket, query: URLSearchParams): void {
    const version = query.get('v');
    const encoding = query.get('encoding') ?? 'json';
    const compress = query.get('compress');
    const connection = new GatewayConnection(ws, compress === 'zlib-stream', this.limits, this);
    this.connections.add(connection);
    if (version !== null && version !== '9' && version !== '10')
      connection.close(GatewayCloseCodes.InvalidAPIVersion, 'Invalid API version.');
    // Discord also speaks ETF and zstd-stream; the Local Discord speaks JSON and zlib-stream only.
    else if (encoding !== 'json')
      connection.close(GatewayCloseCodes.DecodeError, 'Only encoding=json is emulated.');
    else if (compress !== null && compress !== 'zlib-stream')
      connection.close(GatewayCloseCodes.DecodeError, 'Only compress=zlib-stream is emulated.');
  }

  private attach(session: GatewaySession, connection: GatewayConnection): void {
    session.connection = connection;
    session.disconnectedAt = null;
    connection.session = session;
  }

  private privilegedIntentsAllowed(intents: number): boolean {
    const enabled = this.world.state.privilegedIntents;
    return Object.entries(PRIVILEGED_INTENT_BITS).every(
      ([name, bit]) => (intents & bit) === 0 || enabled.has(name as keyof typeof PRIVILEGED_INTENT_BITS),
    );
  }

  private expired(session: GatewaySession): boolean {
    return session.disconnectedAt !== null && Date.now() - session.disconnectedAt > this.resumeWindowMs;
  }

  private dispatch(change: WorldChange): void {
    // Building payloads costs more than the change itself (a bulk load of members one by one).
    if (this.live.size === 0) return;
    const planned = dispatchesFor(this.world, change);
    if (planned.length === 0) return;
    for (const session of [...this.live.values()]) {
      if (this.expired(session)) {
        this.live.delete(session.id);
        continue;
      }
      for (const dispatch of planned) {
        if (sessionGets(this.world, session, dispatch))
          this.send(session, dispatch.t, dispatch.payload(session));
      }
    }
  }

  /** Numbers the dispatch, keeps it for replay, and sends it if the session is connected. */
  private send(session: GatewaySession, t: GatewayDispatchEvents, d: unknown): void {
    const dispatch = session.record(t, d);
    const connection = session.connection;
    connection?.send({ op: GatewayOpcodes.Dispatch, ...dispatch });
    if (this.dispatchLog.length >= DISPATCH_LOG_LIMIT) this.dispatchLog.splice(0, DISPATCH_LOG_LIMIT / 2);
    this.dispatchLog.push({ sessionId: session.id, t, s: dispatch.s, delivered: connection?.open ?? false });
  }

  private forEachConnected(act: (connection: GatewayConnection) => void): number {
    const connected = [...this.connections].filter((connection) => connection.open && connection.session);
    connected.forEach(act);
    return connected.length;
  }

  private forEachConnection(act: (connection: GatewayConnection) => void): number {
    const open = [...this.connections].filter((connection) => connection.open);
    open.forEach(act);
    return open.length;
  }
}
