import { randomUUID } from 'node:crypto';
import { basePermissions } from '../hierarchy.js';
import { formBody, type RouteContext, type RouteReply } from '../http.js';
import { consentPage, messagePage } from '../oauth-page.js';
import { Permission, hasPermission, toPermissionBits } from '../permissions.js';
import type { RouteDef } from '../router.js';
import type { World } from '../world.js';

/** People offered on the consent page (the sandbox has a handful; a benchmark may have a million). */
const MAX_LISTED_USERS = 50;

export interface AuthorizeInput {
  userId: string;
  /** Space-separated or a list: `identify guilds.join`, `bot applications.commands`. */
  scope: string | readonly string[];
  redirectUri: string;
  /** Bot flow: the guild to add the bot to. */
  guildId?: string;
  /** Bot flow: the permission integer requested. Default 0. */
  permissions?: string;
}

export interface GrantedAuthorization {
  code: string;
  scopes: string[];
  guildId?: string;
  permissions?: string;
}

export function parseScopes(scope: string | readonly string[]): string[] {
  const list = typeof scope === 'string' ? scope.split(/[\s+]+/) : [...scope];
  return [...new Set(list.filter((s) => s !== ''))];
}

export function redirectUriAllowed(world: World, uri: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(uri);
  } catch {
    return false;
  }
  if (world.redirectUris.size > 0) return world.redirectUris.has(uri);
  return parsed.protocol === 'http:' || parsed.protocol === 'https:';
}

/**
 * What the consent screen does when the person clicks Authorize: for a bot install the bot joins
 * the guild (its managed role gets the requested permissions), then a single-use code is issued.
 */
export function grantAuthorization(world: World, input: AuthorizeInput): GrantedAuthorization {
  const { state } = world;
  const scopes = parseScopes(input.scope);
  const user = state.requireUser(input.userId);
  if (user.bot) throw new Error('Local Discord: bots cannot authorize applications');
  if (!redirectUriAllowed(world, input.redirectUri)) {
    throw new Error(`Local Discord: redirect_uri ${input.redirectUri} is not registered`);
  }
  if (!scopes.includes('bot')) {
    return {
      code: world.oauth.issueCode({ userId: user.id, scopes, redirectUri: input.redirectUri }),
      scopes,
    };
  }
  if (input.guildId === undefined) throw new Error('Local Discord: a bot install needs a guildId');
  const guild = state.requireGuild(input.guildId);
  if (!hasPermission(basePermissions(guild, user.id), Permission.ManageGuild)) {
    throw new Error('Local Discord: you need Manage Server in that server to add a bot');
  }
  const permissions = toPermissionBits(input.permissions ?? '0').toString();
  state.addBot(guild.id, permissions);
  const code = world.oauth.issueCode({
    userId: user.id,
    scopes,
    redirectUri: input.redirectUri,
    guildId: guild.id,
    permissions,
  });
  return { code, scopes, guildId: guild.id, permissions };
}

interface PendingRequest {
  query: URLSearchParams;
  scopes: string[];
  expiresAt: number;
}

/** `GET/POST /oauth2/authorize`: the browser consent screen (served at `/oauth2/…` and `/api/…`). */
export function authorizeRoutes(world: World): RouteDef[] {
  const pending = new Map<string, PendingRequest>();

  const show = (ctx: RouteContext): RouteReply => {
    const q = ctx.query;
    const scopes = parseScopes(q.get('scope') ?? '');
    const fail = (message: string): RouteReply => ({
      status: 400,
      html: messagePage('Authorization failed', message),
    });
    if (q.get('client_id') !== world.app.clientId) return fail('Unknown Application: invalid client_id.');
    if (scopes.length === 0) return fail('Invalid OAuth2 scope: scope is required.');
    const responseType = q.get('response_type');
    if (responseType !== null && responseType !== 'code') return fail('Unsupported response_type.');
    const redirectUri = q.get('redirect_uri');
    if (redirectUri !== null && !redirectUriAllowed(world, redirectUri))
      return fail('Invalid OAuth2 redirect_uri.');
    if (responseType === 'code' && redirectUri === null) return fail('redirect_uri is required.');
    if (responseType === null && !scopes.includes('bot')) return fail('response_type is required.');
    const requestId = randomUUID();
    pending.set(requestId, { query: new URLSearchParams(q), scopes, expiresAt: world.now() + 30 * 60_000 });
    return { status: 200, html: renderConsent(world, requestId, q, scopes) };
  };

  const decide = (ctx: RouteContext): RouteReply => {
    const form = formBody(ctx);
    const request = pending.get(form['request'] ?? '');
    if (!request || world.now() > request.expiresAt) {
      return {
        status: 400,
        html: messagePage('Authorization failed', 'This authorization request expired.'),
      };
    }
    const q = request.query;
    const redirectUri = q.get('redirect_uri');
    const redirect = (params: Record<string, string>): RouteReply => {
      const target = new URL(redirectUri ?? '');
      for (const [key, value] of Object.entries(params)) target.searchParams.set(key, value);
      const state = q.get('state');
      if (state !== null) target.searchParams.set('state', state);
      return { status: 302, headers: { Location: target.toString() }, html: '' };
    };
    if (form['decision'] !== 'authorize') {
      pending.delete(form['request'] ?? '');
      if (redirectUri === null)
        return { status: 200, html: messagePage('Cancelled', 'Nothing was authorized.') };
      return redirect({
        error: 'access_denied',
        error_description: 'The resource owner or authorization server denied the request',
      });
    }
    const input: AuthorizeInput = {
      userId: form['user_id'] ?? '',
      scope: request.scopes,
      redirectUri: redirectUri ?? 'http://localhost/',
    };
    const guildId = q.get('disable_guild_select') === 'true' ? q.get('guild_id') : form['guild_id'];
    if (guildId) input.guildId = guildId;
    const permissions = q.get('permissions');
    if (permissions !== null) input.permissions = permissions;
    let granted: GrantedAuthorization;
    try {
      granted = grantAuthorization(world, input);
    } catch (error) {
      const message = error instanceof Error ? error.message.replace('Local Discord: ', '') : 'failed';
      return { status: 400, html: renderConsent(world, form['request'] ?? '', q, request.scopes, message) };
    }
    pending.delete(form['request'] ?? '');
    if (redirectUri === null || q.get('response_type') !== 'code') {
      return { status: 200, html: messagePage('Authorized', `${world.app.name} has been added.`) };
    }
    const params: Record<string, string> = { code: granted.code };
    if (granted.guildId !== undefined) params['guild_id'] = granted.guildId;
    if (granted.permissions !== undefined) params['permissions'] = granted.permissions;
    return redirect(params);
  };

  return [
    {
      method: 'GET',
      pattern: '/oauth2/authorize',
      auth: 'none',
      bucket: null,
      globalExempt: true,
      handle: show,
    },
    {
      method: 'POST',
      pattern: '/oauth2/authorize',
      auth: 'none',
      bucket: null,
      globalExempt: true,
      handle: decide,
    },
  ];
}

function renderConsent(
  world: World,
  requestId: string,
  q: URLSearchParams,
  scopes: string[],
  error?: string,
): string {
  // The consent page lists who may click Authorize; a big guild's generated members are not offered.
  const users = world.state.users.list((user) => !user.bot, MAX_LISTED_USERS);
  const input: Parameters<typeof consentPage>[0] = {
    requestId,
    applicationName: world.app.name,
    scopes,
    users,
  };
  if (scopes.includes('bot')) {
    input.guilds = [...world.state.guilds.values()].map((guild) => ({ id: guild.id, name: guild.name }));
    const guildId = q.get('guild_id');
    if (guildId !== null) input.selectedGuildId = guildId;
    if (guildId !== null && q.get('disable_guild_select') === 'true') input.lockedGuildId = guildId;
    input.permissions = q.get('permissions') ?? '0';
  }
  if (error !== undefined) input.error = error;
  return consentPage(input);
}
