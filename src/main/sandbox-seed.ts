import { createApiKey } from '../app/admin/api-keys.js';
import { hasPendingJobOfKind } from '../adapters/store/periodic.js';
import type { AppContext } from '../app/shared/context.js';
import { createEntitlement } from '../app/catalog/entitlements.js';
import { setPlanMoves } from '../app/catalog/plan-moves.js';
import type { CreateEntitlementInput } from '../app/catalog/entitlement-fields.js';
import { setRolesChannel } from '../app/buyer/roles-channel.js';
import { rolesChannelPublishJob } from '../app/buyer/jobs.js';
import {
  BOT_INSTALL_PERMISSIONS,
  botInstallUrl,
  connectServer,
  installRedirectUri,
} from '../app/access/servers.js';
import { registerSlashCommands } from '../cli/discord.js';
import type { LocalDiscord } from '@rolegate/local-discord';

/** What the sandbox seeded: ids a person (or a browser test) needs to find their way. */
export interface Demo {
  guildId: string;
  serverId: string;
  rolesChannelId: string;
  /** Demo users by name: alice and bob are members; carol joins through "Connect Discord". */
  users: { alice: string; bob: string; carol: string };
  merchantUserId: string;
  /** A second server of the merchant's, not connected yet: what "Add server" in the dashboard adds. */
  spareGuildId: string;
  roles: { member: string; vip: string; patron: string };
  entitlements: { id: string; name: string }[];
  apiKey: string;
}

const SERVER_NAME = 'Demo Server';

const common = {
  description: '',
  trial_days: 0,
  sale_ends_at: null,
  revoke_action: 'remove_roles',
  fallback_role_id: null,
  grace_days: 3,
  enforce_roles: false,
  partial_refund_policy: 'keep',
  dispute_policy: 'revoke',
  restore_on_dispute_won: true,
} as const;

/**
 * Seeds the demo server through the same paths production uses: the bot joins through an OAuth
 * bot-install code exchanged by `connectServer`, entitlements are created by the app functions (so
 * the roles-channel message is published by the worker, over HTTP, like any other edit).
 * Runs once per start: the sandbox starts from an empty database each time (sandbox.ts), because
 * the local Discord and Stripe forget everything when the process ends — so a restart never
 * duplicates the demo.
 */
export async function seedDemo(ctx: AppContext, discord: LocalDiscord): Promise<Demo> {
  const merchant = discord.createUser({ username: 'merchant', globalName: 'The Merchant' });
  const users = {
    alice: discord.createUser({ username: 'alice', globalName: 'Alice' }).id,
    bob: discord.createUser({ username: 'bob', globalName: 'Bob' }).id,
    carol: discord.createUser({ username: 'carol', globalName: 'Carol' }).id,
  };
  const guild = discord.createGuild({ name: SERVER_NAME, ownerId: merchant.id, withBot: false });
  // What the merchant sells; after the install the bot's role is dragged above them (see install).
  const member = discord.createRole(guild.id, { name: 'Member', color: 0x3ba55d, hoist: true }).id;
  const vip = discord.createRole(guild.id, { name: 'VIP Pass', color: 0xfaa61a, hoist: true }).id;
  const patron = discord.createRole(guild.id, { name: 'Patron', color: 0xeb459e, hoist: true }).id;
  discord.createRole(guild.id, { name: 'Moderator', color: 0x5865f2 });
  discord.addMember(guild.id, users.alice);
  discord.addMember(guild.id, users.bob);
  const rolesChannel = discord.createChannel(guild.id, 'roles').id;
  const spare = discord.createGuild({ name: 'Second Server', ownerId: merchant.id, withBot: false });
  discord.createRole(spare.id, { name: 'Supporter', color: 0xeb459e, hoist: true });
  discord.createRole(spare.id, { name: 'Early Access', color: 0x57f287 });
  discord.createChannel(spare.id, 'announcements');

  const serverId = await install(ctx, discord, guild.id, merchant.id);
  const entitlements: { id: string; name: string }[] = [];
  for (const offer of offers(serverId, { member, vip, patron })) {
    const created = await createEntitlement(ctx, offer);
    entitlements.push({ id: created.id, name: created.name });
  }
  await offerPlanChanges(ctx, entitlements);
  // The bot may not create channels (no Manage Channels), so the merchant picks one. Picked after
  // the entitlements on purpose: one publish then posts one complete message (the publishes queued
  // by the entitlements wait for a channel), rather than racing each other to post the first one.
  await publishesSettled(ctx);
  await setRolesChannel(ctx, serverId, rolesChannel);
  const discordPort = ctx.ports.discord;
  const applicationId = ctx.config.DISCORD_APPLICATION_ID;
  if (discordPort && applicationId) await registerSlashCommands(discordPort, applicationId, guild.id);
  await waitForRolesMessage(ctx, discord, rolesChannel, entitlements.length);
  const { key } = await createApiKey(ctx, 'sandbox');
  return {
    guildId: guild.id,
    serverId,
    rolesChannelId: rolesChannel,
    users,
    merchantUserId: merchant.id,
    spareGuildId: spare.id,
    roles: { member, vip, patron },
    entitlements,
    apiKey: key,
  };
}

/** Member ⇄ Patron: buyers of one may move to the other from the customer portal (decision 0022). */
async function offerPlanChanges(ctx: AppContext, entitlements: { id: string; name: string }[]) {
  const id = (name: string) => entitlements.find((e) => e.name === name)?.id ?? '';
  await setPlanMoves(ctx, id('Member'), [{ toEntitlementId: id('Patron'), kind: 'upgrade' }]);
  await setPlanMoves(ctx, id('Patron'), [{ toEntitlementId: id('Member'), kind: 'downgrade' }]);
}

/** Two monthly subscriptions (Member, and Patron above it) and one 30-day pass. */
function offers(
  serverId: string,
  roles: { member: string; vip: string; patron: string },
): CreateEntitlementInput[] {
  return [
    {
      ...common,
      server_id: serverId,
      name: 'Member',
      description: 'The members-only channels, billed monthly. Cancel any time.',
      role_ids: [roles.member],
      prices: [{ kind: 'recurring', amount: 500, currency: 'usd', interval: 'month' }],
      access: { kind: 'subscription' },
    },
    {
      ...common,
      server_id: serverId,
      name: 'VIP Pass',
      description: 'Thirty days of VIP access, paid once.',
      role_ids: [roles.vip],
      prices: [{ kind: 'one_time', amount: 1200, currency: 'usd' }],
      access: { kind: 'days', days: 30 },
    },
    {
      ...common,
      server_id: serverId,
      name: 'Patron',
      description: 'The Patron role and its channels, billed monthly. Members can upgrade from the portal.',
      role_ids: [roles.patron],
      prices: [{ kind: 'recurring', amount: 1500, currency: 'usd', interval: 'month' }],
      access: { kind: 'subscription' },
    },
  ];
}

/** The merchant's "Add to Discord" click, minus the browser: consent → code → connectServer. */
async function install(ctx: AppContext, discord: LocalDiscord, guildId: string, ownerId: string) {
  const state = new URL(await botInstallUrl(ctx, 'system:sandbox')).searchParams.get('state') ?? '';
  const code = discord.authorizeCode({
    userId: ownerId,
    scope: 'bot applications.commands',
    redirectUri: installRedirectUri(ctx),
    guildId,
    permissions: BOT_INSTALL_PERMISSIONS,
  });
  // Discord puts a new bot's role at the bottom; the merchant drags it above the roles it sells.
  const roles = discord.listRoles(guildId);
  const botRole = roles.find((r) => r.tags?.bot_id === discord.botUserId);
  if (botRole) discord.setRolePosition(guildId, botRole.id, Math.max(...roles.map((r) => r.position)) + 1);
  return (await connectServer(ctx, code, state)).id;
}

/** Waits until no roles-channel publish is queued or running (they run on the worker). */
async function publishesSettled(ctx: AppContext): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (!(await hasPendingJobOfKind(ctx.db.kysely, rolesChannelPublishJob.kind))) return;
    ctx.nudge();
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The worker publishes the roles message; the sandbox is only "ready" once a person can click it. */
async function waitForRolesMessage(
  ctx: AppContext,
  discord: LocalDiscord,
  channelId: string,
  offers: number,
): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const buttons = discord
      .channelMessages(channelId)
      .flatMap((m) => (m.components ?? []) as unknown as { components?: unknown[] }[])
      .flatMap((row) => row.components ?? []);
    if (buttons.length >= offers) return;
    if (Date.now() > deadline) {
      ctx.log.warn({ channelId }, 'the roles message was not published within 20 s; it may appear later');
      return;
    }
    ctx.nudge();
    await new Promise((r) => setTimeout(r, 100));
  }
}
