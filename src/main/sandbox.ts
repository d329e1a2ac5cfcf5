import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Config } from '../config.js';
import { startLocalDiscord, type LocalDiscord } from '@rolegate/local-discord';
import { startMailSink, type MailSink } from '@rolegate/mail-sink';
import { startLocalStripe, type LocalStripe } from '@rolegate/local-stripe';
import { startRolegate, type Rolegate } from './app.js';
import { seedDemo, type Demo } from './sandbox-seed.js';
import { issueSetupLink } from '../app/admin/admins.js';

/**
 * The offline sandbox: the local Discord, the local Stripe and the mail sink run in this process,
 * Rolegate is pointed at them through its ordinary configuration (so every call goes over HTTP
 * exactly as it would to discord.com and api.stripe.com), and a demo server is seeded through the
 * real install and entitlement flows.
 */

export type { Demo } from './sandbox-seed.js';

/**
 * On when SANDBOX says so; otherwise when neither Discord nor Stripe is configured. A half
 * configuration (say, only Discord) runs for real: silently replacing someone's credentials with
 * fakes would be worse than a Rolegate that cannot take payments yet.
 */
export function sandboxWanted(config: Config): boolean {
  if (config.SANDBOX !== undefined) return config.SANDBOX;
  return !config.DISCORD_BOT_TOKEN && !config.STRIPE_SECRET_KEY;
}

export interface SandboxOptions {
  /**
   * Where Rolegate's own state goes. Default: `DATA_DIR/sandbox.db`, emptied at every start —
   * the local Discord and Stripe keep their state in memory, so rows from an earlier run would
   * point at guilds and prices that no longer exist (and a real database never gets demo rows).
   */
  databaseUrl?: string;
}

export interface Sandbox {
  app: Rolegate;
  discord: LocalDiscord;
  stripe: LocalStripe;
  mail: MailSink;
  demo: Demo;
  urls: SandboxUrls;
  stop(): Promise<void>;
}

export interface SandboxUrls {
  rolegate: string;
  /** The merchant dashboard (the web app at `/`). */
  dashboard: string;
  /** The first-run link: whoever signs in with it becomes the first admin. */
  setupLink: string | null;
  apiDocs: string;
  memberView: string;
  mailSink: string;
  localStripe: string;
  offers: { name: string; url: string }[];
}

const sandboxFile = (dataDir: string) => resolve(join(dataDir, 'sandbox.db'));

/** The database the sandbox runs on: the CLI's one-shot commands use it too while it runs. */
export const sandboxDatabaseUrl = (dataDir: string) => `sqlite:${sandboxFile(dataDir)}`;

function freshSqlite(dataDir: string): string {
  const file = sandboxFile(dataDir);
  for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true });
  return sandboxDatabaseUrl(dataDir);
}

/** The configuration that points Rolegate at the local services. */
export function sandboxConfig(
  config: Config,
  services: { discord: LocalDiscord; stripe: LocalStripe; mail: MailSink; webhookSecret: string },
  databaseUrl: string,
): Config {
  const { discord, stripe, mail } = services;
  return {
    ...config,
    DATABASE_URL: databaseUrl,
    DISCORD_API_URL: discord.apiBaseUrl,
    DISCORD_APPLICATION_ID: discord.applicationId,
    DISCORD_PUBLIC_KEY: discord.publicKeyHex,
    DISCORD_BOT_TOKEN: discord.botToken,
    DISCORD_CLIENT_SECRET: discord.clientSecret,
    STRIPE_API_URL: stripe.url,
    STRIPE_SECRET_KEY: stripe.secretKey,
    STRIPE_WEBHOOK_SECRET: services.webhookSecret,
    SMTP_URL: mail.smtpUrl,
    // Demo merchants point webhooks at a local receiver; that is the point of a sandbox.
    WEBHOOKS_ALLOW_PRIVATE: true,
  };
}

/** Starts the local services, Rolegate on top of them, and seeds the demo server. */
export async function startSandbox(config: Config, options: SandboxOptions = {}): Promise<Sandbox> {
  const started: { close(): Promise<void> }[] = [];
  try {
    const discord = await startLocalDiscord({ applicationName: 'Rolegate' });
    started.push(discord);
    const stripe = await startLocalStripe();
    started.push(stripe);
    const mail = await startMailSink();
    started.push(mail);
    const webhookSecret = `whsec_${randomBytes(24).toString('base64')}`;
    const databaseUrl = options.databaseUrl ?? freshSqlite(config.DATA_DIR);

    const app = await startRolegate({
      config: sandboxConfig(config, { discord, stripe, mail, webhookSecret }, databaseUrl),
      run: { http: true, worker: true, scheduler: true, gateway: true },
    });
    started.unshift({ close: () => app.stop() });
    const url = app.ctx.publicUrl;
    stripe.addWebhookEndpoint(`${url}/webhooks/stripe`, { secret: webhookSecret });
    discord.setInteractionsEndpoint(`${url}/discord/interactions`);
    const check = await discord.validateInteractionsEndpoint();
    if (!check.ok)
      throw new Error(`the interactions endpoint failed its check: ${check.problems.join('; ')}`);

    const demo = await seedDemo(app.ctx, discord);
    const urls: SandboxUrls = {
      rolegate: url,
      dashboard: `${url}/`,
      setupLink: await issueSetupLink(app.ctx),
      apiDocs: `${url}/api/docs`,
      memberView: `${discord.url}/member?guild=${demo.guildId}&user=${demo.users.alice}`,
      mailSink: mail.webUrl,
      localStripe: stripe.url,
      offers: demo.entitlements.map((e) => ({ name: e.name, url: `${url}/offers/${e.id}` })),
    };
    return {
      app,
      discord,
      stripe,
      mail,
      demo,
      urls,
      stop: () => closeAll(started),
    };
  } catch (err) {
    await closeAll(started);
    throw err;
  }
}

async function closeAll(items: { close(): Promise<void> }[]): Promise<void> {
  for (const item of items) await item.close().catch(() => undefined);
}

/** What `npm start` prints in sandbox mode: where to click, in the order a newcomer needs it. */
export function sandboxBanner(s: Pick<Sandbox, 'urls' | 'demo'>): string {
  const { urls, demo } = s;
  const offers = urls.offers.map((o) => `    ${o.name.padEnd(12)} ${o.url}`).join('\n');
  return [
    '',
    'Rolegate sandbox is running: a local Discord, a local Stripe and a mail sink, no accounts needed.',
    '',
    `  Dashboard                   ${urls.dashboard}`,
    ...(urls.setupLink
      ? [
          `  First-run setup link        ${urls.setupLink}`,
          `      open it and sign in as "merchant" (the demo servers' owner) to become the admin`,
        ]
      : []),
    '',
    `  Member view (local Discord) ${urls.memberView}`,
    `      switch between ${Object.keys(demo.users).join(', ')}; click a Buy button in #roles`,
    `  Offer pages (pay by email)`,
    offers,
    `  Mail sink                   ${urls.mailSink}`,
    `  Rolegate API docs           ${urls.apiDocs}`,
    `      API key (Authorize):    ${demo.apiKey}`,
    `  Local Stripe                ${urls.localStripe}`,
    '',
    'Sandbox state lives in memory and starts fresh on every `npm start`.',
    '',
  ].join('\n');
}
