import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { DiscordRouteError, JsonError, apiError } from './errors.js';
import { serverErrorBody, type FaultSpec, type Faults } from './faults.js';
import {
  mediaType,
  parseAuthorization,
  readRawBody,
  safeDecode,
  writeReply,
  type AuthInfo,
  type RouteContext,
  type RouteReply,
} from './http.js';
import type { RequestAccounting } from './accounting.js';
import { tooManyRequests, type RateLimiter } from './ratelimit.js';
import type { RouteDef, Router } from './router.js';
import type { World } from './world.js';

export interface RequestLogEntry {
  method: string;
  /** URL path as requested (percent-decoded), e.g. `/api/v10/users/@me`. */
  path: string;
  /** The query string including `?`, or ''. */
  query: string;
  /** The matched route pattern, e.g. `/guilds/:guildId/members/:userId/roles/:roleId`. */
  route: string | null;
  /** 0 while a scripted timeout keeps the request hanging. */
  status: number;
  /** How the request authenticated; `invalid` = malformed header or a wrong bot token. */
  auth: 'bot' | 'bearer' | 'basic' | 'none' | 'invalid';
  /** `X-Audit-Log-Reason`, URL-decoded. */
  auditLogReason: string | null;
  /** Injected-clock time the request arrived. */
  at: number;
  durationMs: number;
  /** Discord JSON error `code`, or the OAuth2 `error` string. */
  errorCode: number | string | null;
  fault: 'status' | 'timeout' | 'delay' | null;
  rateLimitScope: 'user' | 'global' | 'shared' | null;
  /** Parsed body with secrets (tokens, codes, client secret) replaced by "[redacted]". */
  requestBody: unknown;
}

const HANG = Symbol('hang');
const SECRET_FIELDS = new Set(['access_token', 'refresh_token', 'client_secret', 'code', 'token']);
const MAX_BODY_BYTES = 8 * 1024 * 1024;

/**
 * What is decided the moment a request arrives, before its body is read: the route, the fault
 * that hits it, and the global limit — so the limiter and the accounting see arrivals in the
 * order they came, at the time they came.
 */
type Admission =
  | { kind: 'reply'; reply: RouteReply }
  | { kind: 'fault'; fault: FaultSpec }
  | {
      kind: 'route';
      route: RouteDef;
      params: Record<string, string>;
      path: string;
      headers: Record<string, string>;
      delayMs: number;
    };

export type UpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;

export class LocalDiscordServer {
  readonly log: RequestLogEntry[] = [];
  private readonly server: Server;

  constructor(
    private readonly world: World,
    private readonly router: Router,
    private readonly limiter: RateLimiter,
    private readonly faults: Faults,
    private readonly accounting: RequestAccounting,
    private readonly clock: () => number,
  ) {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        writeReply(res, { status: 500, body: { message: '500: Internal Server Error', code: 0 } });
        console.error('Local Discord: unhandled error', error);
      });
    });
  }

  get invalidRequestCount(): number {
    return this.accounting.invalidTotal;
  }

  /** WebSocket upgrades (the gateway); anything the handler refuses it must destroy. */
  onUpgrade(handler: UpgradeHandler): void {
    this.server.on('upgrade', handler);
  }

  async listen(host: string, port: number): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => resolve());
    });
    const address = this.server.address() as AddressInfo;
    return `http://${host}:${address.port}`;
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const arrivedAt = this.clock();
    const started = performance.now();
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = (req.method ?? 'GET').toUpperCase();
    const auth = parseAuthorization(req.headers.authorization);
    const botAuthenticated = auth.kind === 'bot' && auth.token === this.world.app.botToken;
    const caller = botAuthenticated
      ? `bot:${this.world.app.botToken}`
      : `ip:${req.socket.remoteAddress ?? ''}`;
    const reason = req.headers['x-audit-log-reason'];
    const entry: RequestLogEntry = {
      method,
      path: safeDecode(url.pathname),
      query: url.search,
      route: null,
      status: 0,
      auth: auth.kind === 'malformed' || (auth.kind === 'bot' && !botAuthenticated) ? 'invalid' : auth.kind,
      auditLogReason: typeof reason === 'string' ? safeDecode(reason) : null,
      at: this.world.now(),
      durationMs: 0,
      errorCode: null,
      fault: null,
      rateLimitScope: null,
      requestBody: null,
    };
    if (url.pathname.startsWith('/api/')) {
      this.accounting.arrived(botAuthenticated ? `bot:${this.world.state.botUser.id}` : caller, arrivedAt);
    }
    let admission: Admission;
    try {
      admission = this.admit({ url, method, auth, botAuthenticated, caller, arrivedAt, entry });
    } catch (error) {
      admission = { kind: 'reply', reply: errorReply(error) };
    }
    let reply: RouteReply | typeof HANG;
    try {
      const rawBody = await readRawBody(req, MAX_BODY_BYTES);
      const contentType = mediaType(req.headers['content-type']);
      entry.requestBody = redactedBody(rawBody, contentType);
      reply = await this.complete(admission, req, url, method, auth, rawBody, contentType, entry);
    } catch (error) {
      reply = errorReply(error);
    }
    if (reply === HANG) {
      this.log.push(entry);
      return;
    }
    writeReply(res, reply);
    entry.status = reply.status;
    entry.durationMs = performance.now() - started;
    entry.errorCode = errorCodeOf(reply.body);
    if (reply.status === 429) entry.rateLimitScope ??= 'user';
    if (url.pathname.startsWith('/api/')) this.accounting.answered(reply.status, entry.rateLimitScope);
    this.log.push(entry);
  }

  /** Synchronous on purpose: everything that depends on when the request arrived. */
  private admit(request: {
    url: URL;
    method: string;
    auth: AuthInfo;
    botAuthenticated: boolean;
    caller: string;
    arrivedAt: number;
    entry: RequestLogEntry;
  }): Admission {
    const { url, method, auth, entry } = request;
    const api = /^\/api(?:\/v(\d+))?(\/.*)?$/.exec(url.pathname);
    const version = api?.[1];
    let path: string | null = api ? (api[2] ?? '/') : null;
    if (version !== undefined && version !== '9' && version !== '10') path = null;
    if (url.pathname === '/oauth2/authorize') path = '/oauth2/authorize';
    // The sandbox's member view (member-page.ts) and the control routes: not part of the API.
    if (/^\/(member|_local)(\/|$)/.test(url.pathname)) path = url.pathname;
    if (path === null) throw apiError('GeneralNotFound');

    const fault = this.faults.take(method, url.pathname);
    if (fault) {
      entry.fault = fault.timeout ? 'timeout' : fault.status !== undefined ? 'status' : 'delay';
      if (fault.timeout || fault.status !== undefined) return { kind: 'fault', fault };
    }

    const found = this.router.match(method, path);
    if (found.kind === 'none') throw apiError('GeneralNotFound');
    if (found.kind === 'wrong-method') throw apiError('MethodNotAllowed');
    const { route, params } = found.match;
    entry.route = route.pattern;

    if (!route.globalExempt) {
      const waitMs = this.limiter.takeGlobal(request.caller, request.arrivedAt);
      if (waitMs !== undefined) {
        entry.rateLimitScope = 'global';
        return { kind: 'reply', reply: tooManyRequests(waitMs, 'global') };
      }
    }
    this.assertAuthorized(route, auth, request.botAuthenticated);

    let headers: Record<string, string> = {};
    if (route.bucket) {
      const verdict = this.limiter.take(request.caller, route.bucket, majorParameter(params));
      headers = verdict.headers;
      if (verdict.retryAfterMs !== undefined) {
        entry.rateLimitScope = 'user';
        return { kind: 'reply', reply: tooManyRequests(verdict.retryAfterMs, 'user', headers) };
      }
    }
    return { kind: 'route', route, params, path, headers, delayMs: fault?.delayMs ?? 0 };
  }

  private async complete(
    admission: Admission,
    req: IncomingMessage,
    url: URL,
    method: string,
    auth: AuthInfo,
    rawBody: Buffer,
    contentType: string,
    entry: RequestLogEntry,
  ): Promise<RouteReply | typeof HANG> {
    switch (admission.kind) {
      case 'reply':
        return admission.reply;
      case 'fault':
        return this.applyFault(admission.fault, entry);
      case 'route':
        break;
    }
    if (admission.delayMs > 0) await sleep(admission.delayMs);
    const { route, params, path, headers } = admission;
    const ctx: RouteContext = {
      method,
      path,
      params,
      query: url.searchParams,
      headers: req.headers,
      rawBody,
      contentType,
      auth,
    };
    try {
      const reply = await route.handle(ctx);
      return { ...reply, headers: { ...headers, ...reply.headers } };
    } catch (error) {
      const reply = errorReply(error);
      return { ...reply, headers: { ...headers, ...reply.headers } };
    }
  }

  private assertAuthorized(route: RouteDef, auth: AuthInfo, botAuthenticated: boolean): void {
    const bearerValid =
      auth.kind === 'bearer' && this.world.oauth.resolveAccessToken(auth.token) !== undefined;
    const allowed =
      route.auth === 'none' ||
      (route.auth === 'bot' && botAuthenticated) ||
      (route.auth === 'bot-or-bearer' && (botAuthenticated || bearerValid)) ||
      (route.auth === 'bearer' && bearerValid);
    if (!allowed) throw apiError('Unauthorized');
  }

  private async applyFault(fault: FaultSpec, entry: RequestLogEntry): Promise<RouteReply | typeof HANG> {
    if (fault.delayMs !== undefined) await sleep(fault.delayMs);
    if (fault.timeout || fault.status === undefined) return HANG;
    if (fault.status === 429) {
      const scope = fault.scope ?? 'user';
      entry.rateLimitScope = scope;
      return tooManyRequests((fault.retryAfterSeconds ?? 1) * 1000, scope, {}, true);
    }
    return { status: fault.status, body: serverErrorBody(fault.status) };
  }
}

/** Discord's major parameters: the top-level resource a bucket is keyed by. */
function majorParameter(params: Readonly<Record<string, string>>): string {
  if (params['guildId'] !== undefined) return `guild:${params['guildId']}`;
  if (params['channelId'] !== undefined) return `channel:${params['channelId']}`;
  if (params['webhookId'] !== undefined) return `webhook:${params['webhookId']}/${params['token'] ?? ''}`;
  if (params['interactionId'] !== undefined)
    return `interaction:${params['interactionId']}/${params['token'] ?? ''}`;
  return 'none';
}

function errorReply(error: unknown): RouteReply {
  if (error instanceof DiscordRouteError)
    return { status: error.status, body: error.body, headers: { ...error.headers } };
  console.error('Local Discord: route failed', error);
  const { status, code, message } = JsonError.InternalServerError;
  return { status, body: { message, code } };
}

function errorCodeOf(body: unknown): number | string | null {
  if (body === null || typeof body !== 'object') return null;
  const record = body as Record<string, unknown>;
  const code = record['code'] ?? record['error'];
  return typeof code === 'number' || typeof code === 'string' ? code : null;
}

function redactedBody(rawBody: Buffer, contentType: string): unknown {
  if (rawBody.length === 0) return null;
  let parsed: unknown;
  if (contentType === 'application/x-www-form-urlencoded') {
    parsed = Object.fromEntries(new URLSearchParams(rawBody.toString('utf8')));
  } else {
    try {
      parsed = JSON.parse(rawBody.toString('utf8')) as unknown;
    } catch {
      return rawBody.toString('utf8').slice(0, 2000);
    }
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return parsed;
  return Object.fromEntries(
    Object.entries(parsed).map(([key, value]) => [key, SECRET_FIELDS.has(key) ? '[redacted]' : value]),
  );
}
