import type { Dialect } from '../../src/adapters/store/db.js';
import type { CheckoutPort, Ports } from '../../src/core/ports/index.js';
import { startLocalDiscord, type LocalDiscord, type StartLocalDiscordOptions } from '@rolegate/local-discord';
import { startMailSink, type MailSink } from '@rolegate/mail-sink';
import { eventually, startTestApp, type TestApp } from '../helpers/app.js';

/**
 * A Rolegate wired to a running local Discord (bot token, application, interactions public key,
 * OAuth client) and a real in-process SMTP server, with a server connected through the real
 * bot-install flow and its interactions endpoint registered.
 */
export interface UxHarness {
  discord: LocalDiscord;
  mail: MailSink;
  t: TestApp;
  guildId: string;
  serverId: string;
  gold: string;
  silver: string;
  generalChannelId: string;
  entitlement(input?: Record<string, unknown>): Promise<string>;
  /** A buyer who is a member of the guild. */
  member(name: string): string;
  count(table: 'inbox_events' | 'jobs' | 'checkout_links' | 'grant_claims'): Promise<number>;
  jobs(kind: string): Promise<{ payload: string; status: string }[]>;
  stop(): Promise<void>;
}

/** A checkout port that answers like the Stripe side does, with a long URL, and records its calls. */
export function testCheckout(options: { delayMs?: number; kind?: 'checkout' | 'portal' } = {}) {
  const calls: { entitlementId: string; discordUserId?: string | undefined }[] = [];
  const port: CheckoutPort = {
    async createCheckout(request) {
      calls.push({ entitlementId: request.entitlementId, discordUserId: request.discordUserId });
      if (options.delayMs) await new Promise((r) => setTimeout(r, options.delayMs));
      const url = `https://checkout.example.test/c/pay/cs_test_${'a'.repeat(600)}#${request.entitlementId}`;
      return options.kind === 'portal'
        ? { kind: 'portal', url }
        : { kind: 'checkout', url, grantId: 'grt_pending' };
    },
  };
  return { port, calls };
}

export async function startUx(
  dialect: Dialect,
  options: {
    ports?: Partial<Ports>;
    localDiscord?: StartLocalDiscordOptions;
    worker?: boolean;
    /** More configuration (e.g. the local Stripe's keys). */
    env?: Record<string, string>;
  } = {},
): Promise<UxHarness> {
  const discord = await startLocalDiscord(options.localDiscord);
  const mail = await startMailSink();
  const t = await startTestApp({
    dialect,
    env: {
      DISCORD_API_URL: discord.apiBaseUrl,
      DISCORD_BOT_TOKEN: discord.botToken,
      DISCORD_APPLICATION_ID: discord.applicationId,
      DISCORD_CLIENT_SECRET: discord.clientSecret,
      DISCORD_PUBLIC_KEY: discord.publicKeyHex,
      SMTP_URL: mail.smtpUrl,
      MAIL_FROM: 'Shop <shop@example.test>',
      ...options.env,
    },
    ...(options.ports ? { ports: options.ports } : {}),
    ...(options.worker === undefined ? {} : { worker: options.worker }),
  });
  discord.setInteractionsEndpoint(`${t.url}/discord/interactions`);
  const db = t.app.ctx.db.kysely;

  const guild = discord.createGuild({ name: 'Shop' });
  const silver = discord.createRole(guild.id, { name: 'Silver' }).id;
  const gold = discord.createRole(guild.id, { name: 'Gold' }).id;
  // Connect through the real bot-install flow, so the server row is what production would store.
  const redirectUri = `${t.url}/discord/install/callback`;
  const install = await fetch(`${t.url}/discord/install`, {
    headers: { authorization: `Bearer ${t.apiKey}` },
    redirect: 'manual',
  });
  const state = new URL(install.headers.get('location') ?? '').searchParams.get('state') ?? '';
  const code = discord.authorizeCode({
    userId: guild.ownerId,
    scope: 'bot applications.commands',
    redirectUri,
    guildId: guild.id,
    permissions: '268454915',
  });
  const res = await fetch(`${redirectUri}?code=${code}&state=${encodeURIComponent(state)}`);
  if (res.status !== 200) throw new Error(`install failed: ${res.status} ${await res.text()}`);
  const server = await db
    .selectFrom('servers')
    .select('id')
    .where('guild_id', '=', guild.id)
    .executeTakeFirstOrThrow();

  let n = 0;
  return {
    discord,
    mail,
    t,
    guildId: guild.id,
    serverId: server.id,
    gold,
    silver,
    generalChannelId: guild.systemChannelId ?? '',
    async entitlement(input = {}) {
      n += 1;
      const r = await t.api('/api/entitlements', {
        method: 'POST',
        body: {
          server_id: server.id,
          name: `Gold ${n}`,
          role_ids: [gold],
          prices: [{ kind: 'recurring', amount: 500, currency: 'usd', interval: 'month' }],
          access: { kind: 'subscription' },
          ...input,
        },
      });
      if (r.status !== 201) throw new Error(`entitlement: ${r.status} ${JSON.stringify(r.body)}`);
      return r.body.id as string;
    },
    member(name) {
      const user = discord.createUser({ username: name });
      discord.addMember(guild.id, user.id);
      return user.id;
    },
    async count(table) {
      const row = await db
        .selectFrom(table)
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },
    jobs: (kind) => db.selectFrom('jobs').select(['payload', 'status']).where('kind', '=', kind).execute(),
    async stop() {
      await t.stop();
      await mail.close();
      await discord.close();
    },
  };
}

export { eventually };
