import { randomBytes } from 'node:crypto';
import { AppError } from '../../core/errors.js';
import { FailureError } from '../../core/failure.js';
import type { AppContext } from '../shared/context.js';
import { authorizeBase } from '../buyer/discord-link.js';
import { requireDiscord } from '../shared/services.js';
import { signInAdmin, type SignInOutcome } from './admins.js';

/**
 * "Sign in with Discord" for the dashboard: the OAuth code flow with scope `identify` only. The
 * `state` is random and kept in a signed cookie of the browser that started, so a callback URL
 * replayed in another browser (or forged by another site) signs nobody in.
 */

export const signInRedirectUri = (ctx: AppContext) => `${ctx.publicUrl}/auth/discord/callback`;

export function beginAdminSignIn(ctx: AppContext): { state: string; authorizeUrl: string } {
  const clientId = ctx.config.DISCORD_APPLICATION_ID;
  if (!clientId || !ctx.config.DISCORD_CLIENT_SECRET)
    throw new AppError(
      'service_unavailable',
      'Sign-in with Discord is not configured: set DISCORD_APPLICATION_ID and DISCORD_CLIENT_SECRET.',
    );
  const state = randomBytes(24).toString('base64url');
  const url = new URL(authorizeBase(ctx.config.DISCORD_API_URL));
  url.search = new URLSearchParams({
    client_id: clientId,
    response_type: 'code',
    scope: 'identify',
    redirect_uri: signInRedirectUri(ctx),
    state,
    prompt: 'none',
  }).toString();
  return { state, authorizeUrl: url.toString() };
}

/** Exchanges the code, asks Discord who this is, and decides whether they are (now) an admin. */
export async function completeAdminSignIn(
  ctx: AppContext,
  code: string,
  inviteToken: string | null,
): Promise<SignInOutcome & { username?: string }> {
  const discord = requireDiscord(ctx);
  try {
    const tokens = await discord.exchangeCode(code, signInRedirectUri(ctx));
    const user = await discord.getOAuthUser(tokens.accessToken);
    const username = user.globalName ?? user.username;
    const outcome = await signInAdmin(ctx, { id: user.id, username }, inviteToken);
    return { ...outcome, username };
  } catch (err) {
    if (err instanceof FailureError && err.failure.owner !== 'retry')
      return { kind: 'refused', message: 'Discord did not accept this sign-in. Start again.' };
    throw err;
  }
}
