import { apiError, oauthError } from '../errors.js';
import { formBody, type RouteContext, type RouteReply } from '../http.js';
import type { GrantFailure, IssuedTokens } from '../oauth-store.js';
import type { RouteDef } from '../router.js';
import { guildJson, userJson } from '../serialize.js';
import type { World } from '../world.js';

const GRANT_FAILURES: Record<GrantFailure, string> = {
  invalid_code: 'Invalid "code" in request.',
  invalid_redirect_uri: 'Invalid "redirect_uri" in request.',
  invalid_refresh_token: 'Invalid "refresh_token" in request.',
};

/**
 * The token routes read ONLY `application/x-www-form-urlencoded`. Any other body is not parsed
 * at all, so Discord sees no grant_type and answers 400 unsupported_grant_type "Grant type None
 * is not supported" (discord-api-docs#5249, #645).
 */
function tokenForm(ctx: RouteContext): Record<string, string> {
  return ctx.contentType === 'application/x-www-form-urlencoded' ? formBody(ctx) : {};
}

/** Client authentication: HTTP Basic `client_id:client_secret`, or both in the form. */
function assertClient(world: World, ctx: RouteContext, form: Record<string, string>): void {
  const { clientId, clientSecret } = world.app;
  const ok =
    ctx.auth.kind === 'basic'
      ? ctx.auth.username === clientId && ctx.auth.password === clientSecret
      : form['client_id'] === clientId && form['client_secret'] === clientSecret;
  if (!ok) throw oauthError(401, 'invalid_client');
}

function tokenResponse(world: World, tokens: IssuedTokens): Record<string, unknown> {
  const body: Record<string, unknown> = {
    access_token: tokens.accessToken,
    token_type: 'Bearer',
    expires_in: tokens.expiresIn,
    refresh_token: tokens.refreshToken,
    scope: tokens.scopes.join(' '),
  };
  const guild = tokens.guildId === undefined ? undefined : world.state.guilds.get(tokens.guildId);
  // Bot code-grant flow: the full guild the bot was added to (trust this, not the redirect's guild_id).
  if (guild) body['guild'] = guildJson(guild, false, null);
  return body;
}

function token(world: World, ctx: RouteContext): RouteReply {
  const form = tokenForm(ctx);
  const grantType = form['grant_type'];
  if (grantType !== 'authorization_code' && grantType !== 'refresh_token') {
    throw oauthError(400, 'unsupported_grant_type', `Grant type ${grantType ?? 'None'} is not supported`);
  }
  assertClient(world, ctx, form);
  let result: IssuedTokens | GrantFailure;
  if (grantType === 'authorization_code') {
    const code = form['code'];
    if (!code) throw oauthError(400, 'invalid_request', 'Missing "code" in request.');
    result = world.oauth.exchangeCode(code, form['redirect_uri']);
  } else {
    const refreshToken = form['refresh_token'];
    if (!refreshToken) throw oauthError(400, 'invalid_request', 'Missing "refresh_token" in request.');
    result = world.oauth.refresh(refreshToken);
  }
  if (typeof result === 'string') throw oauthError(400, 'invalid_grant', GRANT_FAILURES[result]);
  return { status: 200, body: tokenResponse(world, result) };
}

function revoke(world: World, ctx: RouteContext): RouteReply {
  const form = tokenForm(ctx);
  assertClient(world, ctx, form);
  const value = form['token'];
  if (!value) throw oauthError(400, 'invalid_request', 'Missing "token" in request.');
  // RFC 7009: unknown tokens are not an error.
  world.oauth.revoke(value);
  return { status: 200, body: {} };
}

function applicationJson(world: World): Record<string, unknown> {
  return {
    id: world.app.id,
    name: world.app.name,
    icon: null,
    description: '',
    summary: '',
    type: null,
    hook: true,
    bot_public: true,
    bot_require_code_grant: false,
    verify_key: world.app.publicKeyHex,
    flags: 0,
  };
}

export function oauthTokenRoutes(world: World): RouteDef[] {
  return [
    {
      method: 'POST',
      pattern: '/oauth2/token',
      auth: 'none',
      bucket: 'oauth2',
      handle: (ctx) => token(world, ctx),
    },
    {
      method: 'POST',
      pattern: '/oauth2/token/revoke',
      auth: 'none',
      bucket: 'oauth2',
      handle: (ctx) => revoke(world, ctx),
    },
    {
      method: 'GET',
      pattern: '/oauth2/@me',
      auth: 'bearer',
      bucket: 'oauth2',
      handle: (ctx) => {
        const access =
          ctx.auth.kind === 'bearer' ? world.oauth.resolveAccessToken(ctx.auth.token) : undefined;
        if (!access) throw apiError('Unauthorized');
        const body: Record<string, unknown> = {
          application: applicationJson(world),
          scopes: [...access.scopes],
          expires: new Date(access.expiresAt).toISOString(),
        };
        if (access.scopes.includes('identify'))
          body['user'] = userJson(world.state.requireUser(access.userId));
        return { status: 200, body };
      },
    },
    {
      method: 'GET',
      pattern: '/oauth2/applications/@me',
      auth: 'bot',
      bucket: 'oauth2',
      handle: () => ({
        status: 200,
        body: { ...applicationJson(world), bot: userJson(world.state.botUser) },
      }),
    },
  ];
}
