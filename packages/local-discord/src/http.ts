import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { DiscordRouteError, apiError } from './errors.js';

export type AuthInfo =
  | { kind: 'bot'; token: string }
  | { kind: 'bearer'; token: string }
  | { kind: 'basic'; username: string; password: string }
  | { kind: 'none' }
  | { kind: 'malformed' };

export type AuthKind = AuthInfo['kind'];

export function parseAuthorization(header: string | undefined): AuthInfo {
  if (header === undefined || header === '') return { kind: 'none' };
  const space = header.indexOf(' ');
  const scheme = space === -1 ? '' : header.slice(0, space);
  const value = space === -1 ? '' : header.slice(space + 1).trim();
  switch (scheme.toLowerCase()) {
    case 'bot':
      return value ? { kind: 'bot', token: value } : { kind: 'malformed' };
    case 'bearer':
      return value ? { kind: 'bearer', token: value } : { kind: 'malformed' };
    case 'basic': {
      const decoded = Buffer.from(value, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon === -1) return { kind: 'malformed' };
      return {
        kind: 'basic',
        username: safeDecode(decoded.slice(0, colon)),
        password: safeDecode(decoded.slice(colon + 1)),
      };
    }
    default:
      return { kind: 'malformed' };
  }
}

export function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

export interface RouteContext {
  readonly method: string;
  /** Path after `/api[/vN]`, e.g. `/guilds/1/members/2`. */
  readonly path: string;
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  readonly rawBody: Buffer;
  /** Lower-cased media type without parameters; '' when absent. */
  readonly contentType: string;
  readonly auth: AuthInfo;
}

export interface RouteReply {
  status: number;
  /** JSON-serialised unless `html` is set; omitted for 204. */
  body?: unknown;
  html?: string;
  headers?: Record<string, string>;
  /** Takes over the response (server-sent events): called instead of writing a body. */
  stream?: (res: ServerResponse) => void;
}

export function param(ctx: RouteContext, name: string): string {
  const value = ctx.params[name];
  if (value === undefined) throw new Error(`route has no :${name}`);
  return value;
}

/**
 * The request body as Discord parses it: JSON or a url-encoded form; empty → `{}`.
 * Invalid JSON → 50109; any other content type with a body → 50035.
 */
export function jsonBody(ctx: RouteContext): Record<string, unknown> {
  if (ctx.rawBody.length === 0) return {};
  if (ctx.contentType === 'application/json') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(ctx.rawBody.toString('utf8'));
    } catch {
      throw apiError('InvalidJson');
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw apiError('InvalidFormBody');
    }
    return parsed as Record<string, unknown>;
  }
  if (ctx.contentType === 'application/x-www-form-urlencoded') return formBody(ctx);
  throw apiError('InvalidFormBody');
}

/** A JSON array body (bulk overwrite routes). */
export function jsonArrayBody(ctx: RouteContext): unknown[] {
  if (ctx.contentType !== 'application/json') throw apiError('InvalidFormBody');
  let parsed: unknown;
  try {
    parsed = JSON.parse(ctx.rawBody.toString('utf8'));
  } catch {
    throw apiError('InvalidJson');
  }
  if (!Array.isArray(parsed)) throw apiError('InvalidFormBody');
  return parsed;
}

export function formBody(ctx: RouteContext): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(ctx.rawBody.toString('utf8')));
}

export async function readRawBody(req: IncomingMessage, limitBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buffer.length;
    if (size > limitBytes)
      throw new DiscordRouteError(413, { message: 'Request entity too large', code: 40005 });
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

export function mediaType(header: string | undefined): string {
  return (header ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

export function writeReply(res: ServerResponse, reply: RouteReply): void {
  if (res.headersSent || res.writableEnded || res.destroyed) return;
  for (const [name, value] of Object.entries(reply.headers ?? {})) res.setHeader(name, value);
  if (reply.stream) {
    res.statusCode = reply.status;
    reply.stream(res);
    return;
  }
  if (reply.status === 204 || (reply.body === undefined && reply.html === undefined)) {
    res.statusCode = reply.status;
    res.end();
    return;
  }
  const text = reply.html ?? JSON.stringify(reply.body);
  res.statusCode = reply.status;
  res.setHeader('Content-Type', reply.html === undefined ? 'application/json' : 'text/html; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(text));
  res.end(text);
}
