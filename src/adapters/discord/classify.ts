import { DiscordAPIError, HTTPError, RateLimitError } from '@discordjs/rest';
import { FailureError, type Failure } from '../../core/failure.js';
import { storableText } from '../../core/storable-text.js';

/**
 * The one place that decides who must act on a Discord failure (reference/discord.md §12).
 * Every Discord call in the adapter funnels its errors through `classifyDiscordError`, so the rest
 * of Rolegate only ever sees a Failure: retry | merchant | customer | bug, a stable code and plain
 * words a merchant or buyer can act on.
 */

/**
 * What the failed call was doing. Some codes mean different things per operation: 10007 (Unknown
 * Member) on a removal means "already done", on an add it means "the buyer is not in the server".
 * `user_token` marks calls authenticated with a buyer's OAuth token (a 401 there is the buyer's
 * problem, not the bot's).
 */
export type DiscordOp =
  | 'read'
  | 'add_role'
  | 'remove_role'
  | 'add_member'
  | 'kick'
  | 'oauth'
  | 'user_token'
  | 'dm'
  | 'message'
  | 'interaction'
  | 'commands';

const MINUTE = 60_000;

function failure(owner: Failure['owner'], code: string, message: string, retryAfterMs?: number): Failure {
  return retryAfterMs === undefined ? { owner, code, message } : { owner, code, message, retryAfterMs };
}

/** Discord's own words, quoted in a message we store (grant errors, sync log): cleaned and capped. */
const vendorText = (text: string) => storableText(text, 500);

const retry = (code: string, message: string, retryAfterMs?: number) =>
  failure('retry', code, message, retryAfterMs);
const merchant = (code: string, message: string) => failure('merchant', code, message);
const customer = (code: string, message: string) => failure('customer', code, message);
const bug = (code: string, message: string) => failure('bug', code, message);

const botTokenInvalid = () =>
  merchant(
    'bot_token_invalid',
    'Discord rejected the Rolegate bot token. The operator must set a valid DISCORD_BOT_TOKEN and restart.',
  );

function retryAfterFrom(err: DiscordAPIError): number | undefined {
  const raw = err.rawError as unknown as { retry_after?: unknown };
  return typeof raw.retry_after === 'number' ? Math.ceil(raw.retry_after * 1000) : undefined;
}

function missingPermissions(op: DiscordOp): Failure {
  switch (op) {
    case 'kick':
      return merchant(
        'missing_permissions',
        'The Rolegate bot cannot remove this member: give it Kick Members and move its role above the member’s highest role in Server Settings → Roles.',
      );
    case 'add_member':
      return merchant(
        'missing_permissions',
        'The Rolegate bot cannot add buyers to the server: give it Create Invite and Manage Roles in Server Settings → Roles.',
      );
    case 'message':
    case 'dm':
      return merchant(
        'missing_permissions',
        'The Rolegate bot cannot post in that channel: give it View Channel, Send Messages and Embed Links there.',
      );
    default:
      return merchant(
        'missing_permissions',
        'The Rolegate bot is not allowed to change these roles: give it Manage Roles and move its role above every role it sells in Server Settings → Roles.',
      );
  }
}

/** Discord codes about the server, its roles, channels and the bot's rights there. */
function classifyServerCode(code: number, op: DiscordOp): Failure | null {
  switch (code) {
    case 10004:
      return merchant(
        'unknown_guild',
        'The Rolegate bot is no longer in this server. Reinstall it from the Rolegate dashboard.',
      );
    case 10011:
    case 50028:
      return merchant(
        'unknown_role',
        'A role this server sells was deleted in Discord. Pick an existing role for the entitlement.',
      );
    case 10003:
      return merchant('unknown_channel', 'The roles channel was deleted. Pick or create another channel.');
    case 10008:
      return merchant('unknown_message', 'The roles message was deleted; it will be posted again.');
    case 30019:
      return merchant(
        'server_full',
        'The Discord server has reached its member limit. Make room, then it retries by itself.',
      );
    case 50001:
      return merchant(
        'missing_access',
        op === 'read'
          ? 'The Rolegate bot cannot see this server (removed, or the Server Members intent is off). Reinstall the bot or enable the intent.'
          : 'The Rolegate bot has no access to this server or channel. Reinstall it or give it View Channel.',
      );
    case 50013:
      return missingPermissions(op);
    default:
      return null;
  }
}

/** Discord codes about the member, their account and DMs, and interactions. */
function classifyMemberCode(code: number, op: DiscordOp): Failure | null {
  switch (code) {
    case 10007:
      if (op === 'remove_role' || op === 'kick')
        return customer('member_already_gone', 'The member already left the server; nothing to remove.');
      return customer(
        'member_not_in_server',
        'You are not in the Discord server. Connect your Discord account so Rolegate can add you, or join the server.',
      );
    case 10013:
      return customer(
        'unknown_user',
        'That Discord account no longer exists. Connect another Discord account.',
      );
    case 30001:
      return customer(
        'too_many_servers',
        'Your Discord account is in too many servers (100). Leave one server, then try again.',
      );
    case 40003:
      return retry('dm_rate_limited', 'Discord is limiting new DMs; retrying later.', MINUTE);
    case 40007:
      return customer(
        'banned',
        'This Discord account is banned from the server. Only the server’s staff can lift the ban.',
      );
    case 50007:
    case 50278:
      return customer('dm_closed', 'This Discord user does not accept direct messages from the bot.');
    case 50025:
      return customer(
        'discord_link_expired',
        'Your Discord connection has expired. Connect your Discord account again.',
      );
    case 50026:
      return customer(
        'discord_link_missing_scope',
        'Your Discord connection does not allow Rolegate to add you to servers. Connect your Discord account again.',
      );
    case 10062:
      return bug('interaction_expired', 'The interaction expired before Rolegate answered it.');
    case 40060:
      return bug('interaction_already_acknowledged', 'The interaction was already answered.');
    case 40001:
      return op === 'user_token' || op === 'oauth'
        ? customer(
            'discord_link_expired',
            'Your Discord connection has expired. Connect your Discord account again.',
          )
        : botTokenInvalid();
    default:
      return null;
  }
}

/** Maps a Discord JSON error (4xx) to a Failure. */
function classifyApiError(err: DiscordAPIError, op: DiscordOp): Failure {
  const { status, code } = err;
  if (status === 429)
    return retry('rate_limited', 'Discord asked us to slow down; retrying shortly.', retryAfterFrom(err));
  if (code === 'invalid_grant')
    return customer(
      'discord_link_expired',
      'Your Discord connection has expired or was revoked. Connect your Discord account again.',
    );
  if (typeof code === 'string') return bug(`oauth_${code}`, `Discord refused the OAuth request (${code}).`);
  const known = classifyServerCode(code, op) ?? classifyMemberCode(code, op);
  if (known) return known;
  // Discord answers a bad token with 401 and code 0 (discord-api-docs#1499).
  if (status === 401)
    return op === 'user_token' || op === 'oauth'
      ? customer(
          'discord_link_expired',
          'Your Discord connection has expired. Connect your Discord account again.',
        )
      : botTokenInvalid();
  if (status >= 500) return retry('discord_unavailable', 'Discord is having trouble; retrying with backoff.');
  // 0 / 50035 / 50109 / 20001-2 / anything unknown: a request Rolegate should not have made.
  return bug(
    `discord_${code}`,
    `Discord rejected a request Rolegate made (code ${code}: ${vendorText(err.message)}).`,
  );
}

function isNetworkError(err: Error): boolean {
  if (err.name === 'AbortError' || err.name === 'TimeoutError' || err.name === 'ConnectTimeoutError')
    return true;
  const code = (err as { code?: unknown }).code ?? (err.cause as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string' && /^(E[A-Z]+|UND_ERR_[A-Z_]+)$/.test(code)) return true;
  return (
    err.message === 'fetch failed' || /ECONNRESET|ECONNREFUSED|socket hang up|terminated/.test(err.message)
  );
}

/**
 * Classifies any error a Discord call threw. Already-classified FailureErrors pass through.
 * 429 / 5xx / timeouts → retry; setup problems (50013, 10011, 10004, 50001, bot 401) → merchant;
 * buyer problems (40007, 30001, 50025, 50026, invalid_grant) → customer; malformed requests → bug.
 */
export function classifyDiscordError(err: unknown, op: DiscordOp = 'read'): Failure {
  if (err instanceof FailureError) return err.failure;
  if (err instanceof RateLimitError)
    return retry(
      'rate_limited',
      'Discord asked us to slow down; retrying shortly.',
      Math.max(err.retryAfter, 0),
    );
  if (err instanceof DiscordAPIError) return classifyApiError(err, op);
  if (err instanceof HTTPError)
    return err.status >= 500
      ? retry('discord_unavailable', 'Discord is having trouble; retrying with backoff.')
      : bug(`http_${err.status}`, `Discord answered HTTP ${err.status} unexpectedly.`);
  if (err instanceof Error) {
    // @discordjs/rest drops the token after a 401 and refuses every later call with this message.
    if (/Expected token to be set/.test(err.message)) return botTokenInvalid();
    if (isNetworkError(err))
      return retry('discord_unreachable', 'Discord did not answer in time; retrying with backoff.');
    return bug('discord_client_error', `Calling Discord failed unexpectedly: ${vendorText(err.message)}`);
  }
  return bug('discord_client_error', `Calling Discord failed unexpectedly: ${String(err)}`);
}

/** True when a failed removal or kick means the job is already done (the member is gone). */
export function isAlreadyGone(err: unknown): boolean {
  return err instanceof DiscordAPIError && err.code === 10007;
}

/** Runs one Discord call and rethrows any failure as a classified FailureError. */
export async function classified<T>(op: DiscordOp, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw new FailureError(classifyDiscordError(err, op));
  }
}
