import { DiscordAPIError, HTTPError, RateLimitError } from '@discordjs/rest';
import { describe, expect, it } from 'vitest';
import { classifyDiscordError, type DiscordOp } from '../../src/adapters/discord/classify.js';
import { FailureError } from '../../src/core/failure.js';

const apiError = (status: number, code: number | string, message = 'x') =>
  new DiscordAPIError(
    typeof code === 'string' ? { error: code } : { code, message },
    code,
    status,
    'PUT',
    'http://127.0.0.1/api/v10/guilds/1/members/2/roles/3',
    { body: undefined, files: undefined },
  );

const owner = (err: unknown, op?: DiscordOp) => classifyDiscordError(err, op).owner;

describe('classifyDiscordError', () => {
  it('makes rate limits retry-owned and keeps the wait Discord asked for', () => {
    const err = new RateLimitError({
      timeToReset: 2500,
      limit: 5,
      method: 'PUT',
      hash: 'h',
      url: 'u',
      route: '/guilds/:id/members/:id/roles/:id',
      majorParameter: '1',
      global: false,
      retryAfter: 2500,
      sublimitTimeout: 0,
      scope: 'user',
    });
    expect(classifyDiscordError(err)).toMatchObject({
      owner: 'retry',
      code: 'rate_limited',
      retryAfterMs: 2500,
    });
  });

  it('reads retry_after (seconds) from a 429 body', () => {
    const err = new DiscordAPIError(
      { code: 0, message: 'You are being rate limited.', retry_after: 1.5 } as never,
      0,
      429,
      'GET',
      'u',
      { body: undefined, files: undefined },
    );
    expect(classifyDiscordError(err)).toMatchObject({ owner: 'retry', retryAfterMs: 1500 });
  });

  it('makes 5xx, timeouts and connection resets retry-owned', () => {
    expect(owner(new HTTPError(502, 'Bad Gateway', 'GET', 'u', { body: undefined, files: undefined }))).toBe(
      'retry',
    );
    const abort = new Error('This operation was aborted');
    abort.name = 'AbortError';
    expect(owner(abort)).toBe('retry');
    expect(owner(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }))).toBe('retry');
    expect(owner(new TypeError('fetch failed'))).toBe('retry');
  });

  it.each([
    [403, 50013, 'missing_permissions'],
    [404, 10011, 'unknown_role'],
    [404, 10004, 'unknown_guild'],
    [403, 50001, 'missing_access'],
    [401, 40001, 'bot_token_invalid'],
    [401, 0, 'bot_token_invalid'],
  ])('makes HTTP %i / code %s a merchant failure (%s)', (status, code, expected) => {
    const f = classifyDiscordError(apiError(status, code), 'add_role');
    expect(f).toMatchObject({ owner: 'merchant', code: expected });
    expect(f.message).not.toMatch(/\b(50013|10011|DiscordAPIError)\b/);
  });

  it('tells the merchant exactly where to fix a hierarchy problem', () => {
    expect(classifyDiscordError(apiError(403, 50013), 'add_role').message).toMatch(
      /Manage Roles.*Server Settings → Roles/,
    );
    expect(classifyDiscordError(apiError(403, 50013), 'kick').message).toMatch(/Kick Members/);
  });

  it.each([
    [403, 40007, 'banned'],
    [400, 30001, 'too_many_servers'],
    [403, 50025, 'discord_link_expired'],
    [403, 50026, 'discord_link_missing_scope'],
    [400, 'invalid_grant', 'discord_link_expired'],
  ])('makes HTTP %i / %s a customer failure (%s)', (status, code, expected) => {
    expect(classifyDiscordError(apiError(status, code), 'add_member')).toMatchObject({
      owner: 'customer',
      code: expected,
    });
  });

  it('reads 10007 by operation: gone already on removal, not in the server on add', () => {
    expect(classifyDiscordError(apiError(404, 10007), 'remove_role').code).toBe('member_already_gone');
    expect(classifyDiscordError(apiError(404, 10007), 'kick').code).toBe('member_already_gone');
    expect(classifyDiscordError(apiError(404, 10007), 'add_role').code).toBe('member_not_in_server');
  });

  it('blames a user token 401 on the customer, not the bot', () => {
    expect(classifyDiscordError(apiError(401, 0), 'user_token')).toMatchObject({
      owner: 'customer',
      code: 'discord_link_expired',
    });
  });

  it('makes malformed requests bugs', () => {
    expect(owner(apiError(400, 50035))).toBe('bug');
    expect(owner(apiError(400, 0))).toBe('bug');
    expect(owner(apiError(400, 50109))).toBe('bug');
  });

  it('treats the library refusing calls after a 401 as a broken bot token', () => {
    expect(
      classifyDiscordError(new Error('Expected token to be set for this request, but none was present')),
    ).toMatchObject({ owner: 'merchant', code: 'bot_token_invalid' });
  });

  it('passes an already classified failure through unchanged', () => {
    const f = { owner: 'customer' as const, code: 'x', message: 'y' };
    expect(classifyDiscordError(new FailureError(f))).toBe(f);
  });
});
