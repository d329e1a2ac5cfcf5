import { safeDecode, type RouteContext, type RouteReply } from './http.js';
import type { BucketName } from './ratelimit.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/**
 * Who may call a route: `bot` = `Authorization: Bot <token>`; `bot-or-bearer` adds a user's OAuth2
 * token (e.g. `GET /users/@me`); `bearer` = only a user's token (`GET /oauth2/@me`); `none` =
 * no Discord auth (OAuth2 token routes authenticate the client themselves, interaction
 * callbacks and follow-ups are authorised by the interaction token in the path).
 */
export type AuthRequirement = 'bot' | 'bot-or-bearer' | 'bearer' | 'none';

export interface RouteDef {
  method: HttpMethod;
  /** Versionless path pattern, `:name` matches one segment: `/guilds/:guildId/roles`. */
  pattern: string;
  auth: AuthRequirement;
  /** Per-route rate-limit bucket; null = none. */
  bucket: BucketName | null;
  /** Interaction callbacks and follow-ups don't count towards the global limit. */
  globalExempt?: boolean;
  handle(ctx: RouteContext): RouteReply | Promise<RouteReply>;
}

export interface RouteMatch {
  route: RouteDef;
  params: Record<string, string>;
}

export type MatchResult = { kind: 'found'; match: RouteMatch } | { kind: 'wrong-method' } | { kind: 'none' };

export class Router {
  private readonly routes: Array<{ def: RouteDef; segments: string[] }> = [];

  add(...defs: RouteDef[]): void {
    for (const def of defs) this.routes.push({ def, segments: split(def.pattern) });
  }

  match(method: string, path: string): MatchResult {
    const parts = split(path);
    let pathExists = false;
    for (const { def, segments } of this.routes) {
      const params = matchSegments(segments, parts);
      if (!params) continue;
      if (def.method === method) return { kind: 'found', match: { route: def, params } };
      pathExists = true;
    }
    return pathExists ? { kind: 'wrong-method' } : { kind: 'none' };
  }
}

function split(path: string): string[] {
  return path.split('/').filter((part) => part !== '');
}

function matchSegments(pattern: string[], parts: string[]): Record<string, string> | null {
  if (pattern.length !== parts.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i += 1) {
    const expected = pattern[i] ?? '';
    // Clients percent-encode segments: @discordjs/rest sends `/users/%40me`.
    const actual = safeDecode(parts[i] ?? '');
    if (expected.startsWith(':')) {
      params[expected.slice(1)] = actual;
    } else if (expected !== actual) {
      return null;
    }
  }
  return params;
}
