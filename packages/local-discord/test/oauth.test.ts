import { Routes } from 'discord-api-types/v10';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { discordError, ManualClock, startHarness, type Harness } from './helpers.js';

const REDIRECT = 'http://localhost:3000/oauth/discord/callback';
let h: Harness;
let clock: ManualClock;
beforeEach(async () => {
  clock = new ManualClock();
  h = await startHarness({ clock, redirectUris: [REDIRECT] });
});
afterEach(async () => {
  await h.discord.close();
});

function exchange(code: string, redirectUri = REDIRECT) {
  return h.api.oauth2.tokenExchange({
    client_id: h.discord.clientId,
    client_secret: h.discord.clientSecret,
    grant_type: 'authorization_code',
    code,
    redirect_uri: redirectUri,
  });
}

function refresh(refreshToken: string) {
  return h.api.oauth2.refreshToken({
    client_id: h.discord.clientId,
    client_secret: h.discord.clientSecret,
    grant_type: 'refresh_token',
    refresh_token: refreshToken,
  });
}

function form(values: Record<string, string>): { body: string; headers: Record<string, string> } {
  return {
    body: new URLSearchParams(values).toString(),
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
  };
}

/** A user-token call: @discordjs/rest 2.x sends the bot token unless told otherwise. */
const bearer = (token: string) => ({ auth: false, headers: { Authorization: `Bearer ${token}` } });
const me = (token: string) => h.rest.get(Routes.user('@me'), bearer(token));

describe('OAuth2 code grant', () => {
  it('exchanges a code for Discord’s token response, once', async () => {
    const alice = h.discord.createUser({ username: 'alice' });
    const code = h.discord.authorizeCode({
      userId: alice.id,
      scope: 'identify guilds.join',
      redirectUri: REDIRECT,
    });
    const tokens = await exchange(code);
    expect(tokens).toMatchObject({ token_type: 'Bearer', expires_in: 604800, scope: 'identify guilds.join' });
    expect(tokens.access_token).toMatch(/^[A-Za-z0-9]{30}$/);
    expect(await me(tokens.access_token)).toMatchObject({ id: alice.id, username: 'alice' });
    const reused = await discordError(exchange(code));
    expect([reused.status, reused.code]).toEqual([400, 'invalid_grant']);
    expect(reused.rawError).toEqual({
      error: 'invalid_grant',
      error_description: 'Invalid "code" in request.',
    });
  });

  it('binds the code to its redirect_uri', async () => {
    const alice = h.discord.createUser({ username: 'alice' });
    const code = h.discord.authorizeCode({ userId: alice.id, scope: 'identify', redirectUri: REDIRECT });
    const error = await discordError(exchange(code, 'http://localhost:3000/other'));
    expect(error.code).toBe('invalid_grant');
    expect(error.message).toBe('Invalid "redirect_uri" in request.');
  });

  it('accepts only form bodies: JSON gets 400 unsupported_grant_type', async () => {
    const alice = h.discord.createUser({ username: 'alice' });
    const code = h.discord.authorizeCode({ userId: alice.id, scope: 'identify', redirectUri: REDIRECT });
    const res = await fetch(`${h.discord.url}/api/v10/oauth2/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        client_id: h.discord.clientId,
        client_secret: h.discord.clientSecret,
        grant_type: 'authorization_code',
        code,
        redirect_uri: REDIRECT,
      }),
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.json()).toEqual({
      error: 'unsupported_grant_type',
      error_description: 'Grant type None is not supported',
    });
    // The same code still works when sent as a form, on the unversioned path, with HTTP Basic.
    const basic = Buffer.from(`${h.discord.clientId}:${h.discord.clientSecret}`).toString('base64');
    const ok = await fetch(`${h.discord.url}/api/oauth2/token`, {
      method: 'POST',
      ...form({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT }),
      headers: { ...form({}).headers, Authorization: `Basic ${basic}` },
    });
    expect(ok.status).toBe(200);
  });

  it('rejects a wrong client secret with 401 invalid_client', async () => {
    const res = await fetch(`${h.discord.url}/api/v10/oauth2/token`, {
      method: 'POST',
      ...form({
        grant_type: 'refresh_token',
        refresh_token: 'x',
        client_id: h.discord.clientId,
        client_secret: 'nope',
      }),
    });
    expect([res.status, await res.json()]).toEqual([401, { error: 'invalid_client' }]);
  });
});

describe('OAuth2 refresh and revocation', () => {
  it('rotates single-use refresh tokens: reuse gets invalid_grant, the old access token dies', async () => {
    const alice = h.discord.createUser({ username: 'alice' });
    const first = await exchange(
      h.discord.authorizeCode({ userId: alice.id, scope: 'identify guilds.join', redirectUri: REDIRECT }),
    );
    const second = await refresh(first.refresh_token);
    expect(second.refresh_token).not.toBe(first.refresh_token);
    expect(second.access_token).not.toBe(first.access_token);
    expect(second.scope).toBe('identify guilds.join');
    const reuse = await discordError(refresh(first.refresh_token));
    expect([reuse.status, reuse.code, reuse.message]).toEqual([
      400,
      'invalid_grant',
      'Invalid "refresh_token" in request.',
    ]);
    expect((await discordError(me(first.access_token))).status).toBe(401);
    await expect(me(second.access_token)).resolves.toMatchObject({ id: alice.id });
    await expect(refresh(second.refresh_token)).resolves.toMatchObject({ token_type: 'Bearer' });
  });

  it('revocation kills every token of the authorization', async () => {
    const alice = h.discord.createUser({ username: 'alice' });
    const tokens = await exchange(
      h.discord.authorizeCode({ userId: alice.id, scope: 'identify', redirectUri: REDIRECT }),
    );
    await h.api.oauth2.revokeToken(h.discord.clientId, h.discord.clientSecret, {
      token: tokens.access_token,
      token_type_hint: 'access_token',
    });
    expect((await discordError(me(tokens.access_token))).status).toBe(401);
    expect((await discordError(refresh(tokens.refresh_token))).code).toBe('invalid_grant');
  });

  it('expires access tokens on the injected clock; GET /oauth2/@me reports scopes and expiry', async () => {
    const alice = h.discord.createUser({ username: 'alice' });
    const tokens = await exchange(
      h.discord.authorizeCode({ userId: alice.id, scope: 'identify guilds.join', redirectUri: REDIRECT }),
    );
    const info = await h.rest.get(Routes.oauth2CurrentAuthorization(), bearer(tokens.access_token));
    expect(info).toMatchObject({
      application: { id: h.discord.applicationId, verify_key: h.discord.publicKeyHex },
      scopes: ['identify', 'guilds.join'],
      expires: new Date(clock.now() + 604_800_000).toISOString(),
      user: { id: alice.id },
    });
    clock.advance(604_800_000 - 1);
    await expect(me(tokens.access_token)).resolves.toMatchObject({ id: alice.id });
    clock.advance(1);
    expect((await discordError(me(tokens.access_token))).status).toBe(401);
    // Refreshing an expired access token still works.
    await expect(refresh(tokens.refresh_token)).resolves.toMatchObject({ expires_in: 604800 });
  });
});

describe('OAuth2 bot install and consent page', () => {
  it('adds the bot with the requested permissions and returns the full guild in the token response', async () => {
    const merchant = h.discord.createUser({ username: 'merchant' });
    const guild = h.discord.createGuild({ name: 'Merchant HQ', ownerId: merchant.id, withBot: false });
    await expect(h.api.guilds.get(guild.id)).rejects.toMatchObject({ code: 10004 });
    const code = h.discord.authorizeCode({
      userId: merchant.id,
      scope: 'bot applications.commands',
      redirectUri: REDIRECT,
      guildId: guild.id,
      permissions: '268454913',
    });
    const tokens = (await exchange(code)) as unknown as {
      guild?: { id: string; owner_id: string; roles: unknown[] };
    };
    expect(tokens.guild).toMatchObject({ id: guild.id, owner_id: merchant.id });
    const botRole = h.discord.listRoles(guild.id).find((role) => role.managed);
    expect(botRole).toMatchObject({ permissions: '268454913', tags: { bot_id: h.discord.botUserId } });
    await expect(h.api.guilds.get(guild.id)).resolves.toMatchObject({ id: guild.id });
  });

  it('serves a consent page whose Authorize button redirects with code and state', async () => {
    const alice = h.discord.createUser({ username: 'alice <admin>' });
    const query = new URLSearchParams({
      client_id: h.discord.clientId,
      response_type: 'code',
      scope: 'identify guilds.join',
      redirect_uri: REDIRECT,
      state: 'st4te',
      prompt: 'consent',
    });
    const page = await fetch(`${h.discord.url}/oauth2/authorize?${query}`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('alice &lt;admin&gt;');
    const requestId = /name="request" value="([^"]+)"/.exec(html)?.[1] ?? '';
    const submitted = await fetch(`${h.discord.url}/oauth2/authorize`, {
      method: 'POST',
      redirect: 'manual',
      ...form({ request: requestId, user_id: alice.id, decision: 'authorize' }),
    });
    expect(submitted.status).toBe(302);
    const location = new URL(submitted.headers.get('location') ?? '');
    expect(`${location.origin}${location.pathname}`).toBe(REDIRECT);
    expect(location.searchParams.get('state')).toBe('st4te');
    const tokens = await exchange(location.searchParams.get('code') ?? '');
    await expect(me(tokens.access_token)).resolves.toMatchObject({ id: alice.id });
  });

  it('refuses an unregistered redirect_uri', async () => {
    const query = new URLSearchParams({
      client_id: h.discord.clientId,
      response_type: 'code',
      scope: 'identify',
      redirect_uri: 'https://evil.example/cb',
    });
    const page = await fetch(`${h.discord.url}/oauth2/authorize?${query}`);
    expect(page.status).toBe(400);
    expect(await page.text()).toContain('redirect_uri');
  });
});
