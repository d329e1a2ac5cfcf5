import { AppError } from '../../core/errors.js';
import { BOT_INSTALL_PERMISSIONS, installRedirectUri } from '../access/servers.js';
import { signInRedirectUri } from '../admin/sign-in.js';
import { authorizeBase, linkRedirectUri } from '../buyer/discord-link.js';
import type { AppContext } from '../shared/context.js';
import { lastTestMail, recordTestMail, type TestMailRecord } from './settings.js';
import { stripeWebhookStatus, type StripeWebhookStatus } from './stripe-webhook.js';

/**
 * The setup checklist (decision 0025): for each step, whether it is done as far as Rolegate can
 * tell, and the exact values to paste into Discord's and Stripe's settings.
 */

export interface SetupState {
  public_url: { url: string; https: boolean; reachable: boolean; problem: string | null };
  discord: {
    configured: boolean;
    bot_ok: boolean;
    problem: string | null;
    application_id: string | null;
    interactions_endpoint_url: string;
    redirect_uris: string[];
    bot_invite_url: string | null;
  };
  stripe: { configured: boolean; mode: 'test' | 'live' | null; webhook: StripeWebhookStatus };
  smtp: { configured: boolean; from: string; last_test: TestMailRecord | null };
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** Asks this instance's health probe at the public URL: the URL at least leads back here. */
async function publicUrlState(ctx: AppContext): Promise<SetupState['public_url']> {
  const url = ctx.publicUrl;
  const https = url.startsWith('https://');
  try {
    const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(3_000), redirect: 'manual' });
    const body = (await res.json().catch(() => null)) as { status?: string } | null;
    const reachable = res.status === 200 && body?.status === 'ok';
    const problem = !reachable
      ? `${url}/healthz answered ${res.status}, not this Rolegate`
      : https
        ? null
        : 'not https: Discord and Stripe live mode need an https URL (set PUBLIC_URL)';
    return { url, https, reachable, problem };
  } catch (err) {
    return { url, https, reachable: false, problem: `${url}/healthz did not answer: ${message(err)}` };
  }
}

async function discordState(ctx: AppContext): Promise<SetupState['discord']> {
  const { DISCORD_APPLICATION_ID, DISCORD_PUBLIC_KEY, DISCORD_CLIENT_SECRET, DISCORD_API_URL } = ctx.config;
  const missing = [
    ['DISCORD_BOT_TOKEN', ctx.ports.discord],
    ['DISCORD_APPLICATION_ID', DISCORD_APPLICATION_ID],
    ['DISCORD_PUBLIC_KEY', DISCORD_PUBLIC_KEY],
    ['DISCORD_CLIENT_SECRET', DISCORD_CLIENT_SECRET],
  ]
    .filter(([, v]) => !v)
    .map(([k]) => k as string);
  let botOk = false;
  let problem = missing.length ? `not set: ${missing.join(', ')}` : null;
  if (ctx.ports.discord) {
    try {
      await ctx.ports.discord.getBotUser();
      botOk = true;
    } catch (err) {
      problem = `Discord refused the bot token: ${message(err)}`;
    }
  }
  const invite = DISCORD_APPLICATION_ID
    ? `${authorizeBase(DISCORD_API_URL)}?${new URLSearchParams({
        client_id: DISCORD_APPLICATION_ID,
        scope: 'bot applications.commands',
        permissions: BOT_INSTALL_PERMISSIONS,
      }).toString()}`
    : null;
  return {
    configured: missing.length === 0,
    bot_ok: botOk,
    problem,
    application_id: DISCORD_APPLICATION_ID ?? null,
    interactions_endpoint_url: `${ctx.publicUrl}/discord/interactions`,
    redirect_uris: [signInRedirectUri(ctx), installRedirectUri(ctx), linkRedirectUri(ctx)],
    bot_invite_url: invite,
  };
}

export async function setupState(ctx: AppContext): Promise<SetupState> {
  const key = ctx.config.STRIPE_SECRET_KEY ?? '';
  const [publicUrl, discord, webhook, lastTest] = await Promise.all([
    publicUrlState(ctx),
    discordState(ctx),
    stripeWebhookStatus(ctx),
    lastTestMail(ctx),
  ]);
  return {
    public_url: publicUrl,
    discord,
    stripe: {
      configured: Boolean(ctx.ports.stripe),
      mode: key ? (/^(sk|rk)_live_/.test(key) ? 'live' : 'test') : null,
      webhook,
    },
    smtp: { configured: Boolean(ctx.config.SMTP_URL), from: ctx.config.MAIL_FROM, last_test: lastTest },
  };
}

/** Sends a real mail through SMTP (not the log-only stand-in) and records it. */
export async function sendTestMail(ctx: AppContext, to: string): Promise<TestMailRecord> {
  if (!ctx.config.SMTP_URL)
    throw new AppError('service_unavailable', 'SMTP is not configured: set SMTP_URL (and MAIL_FROM)');
  try {
    await ctx.ports.mail.send({
      to,
      subject: 'Rolegate test mail',
      text: `This is a test mail from Rolegate at ${ctx.publicUrl}.\n\nIf you can read it, Rolegate can send mail to buyers.`,
    });
  } catch (err) {
    throw new AppError('unprocessable', `the SMTP server refused the mail: ${message(err)}`);
  }
  return recordTestMail(ctx, to);
}
