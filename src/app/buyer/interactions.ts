import { randomBytes } from 'node:crypto';
import {
  ButtonStyle,
  ComponentType,
  InteractionResponseType,
  InteractionType,
  MessageFlags,
  type APIInteractionResponse,
  type APIInteractionResponseCallbackData,
} from 'discord-api-types/v10';
import { z } from 'zod';
import { AppError } from '../../core/errors.js';
import { claimGrant, type ClaimResult } from './claim.js';
import { inTransaction, type AppContext } from '../shared/context.js';
import { enqueueDirectMessage } from './dm.js';
import { enqueueMemberCheck } from '../grants/grants.js';
import { formatDate } from '../catalog/offer-text.js';
import {
  buyButtonOffer,
  checkoutLinkTarget,
  memberGrants,
  saveCheckoutLink,
  serverOfGuild,
} from './store/interactions.js';

/**
 * What Rolegate answers to a verified interaction: the roles-channel buy button, `/claim CODE`,
 * `/access` and its resync button. Everything a buyer sees is ephemeral (only they see it) and in
 * plain words; Discord errors never reach them raw.
 */

/** The fields Rolegate reads; Discord sends many more. */
export const interactionSchema = z.object({
  id: z.string().min(1).max(32),
  application_id: z.string().optional(),
  type: z.number().int(),
  token: z.string().optional(),
  guild_id: z.string().optional(),
  member: z.object({ user: z.object({ id: z.string(), username: z.string().optional() }) }).optional(),
  user: z.object({ id: z.string(), username: z.string().optional() }).optional(),
  data: z
    .object({
      name: z.string().optional(),
      custom_id: z.string().optional(),
      options: z.array(z.object({ name: z.string(), value: z.unknown().optional() })).optional(),
    })
    .optional(),
});
export type Interaction = z.infer<typeof interactionSchema>;

/** Discord drops an interaction not answered within 3 s; a slow checkout is deferred before that. */
const INLINE_BUDGET_MS = 2_000;
/** Short checkout links live as long as a Stripe Checkout Session does by default. */
const CHECKOUT_LINK_TTL_MS = 24 * 3_600_000;

const reply = (data: APIInteractionResponseCallbackData): APIInteractionResponse => ({
  type: InteractionResponseType.ChannelMessageWithSource,
  data: { ...data, flags: MessageFlags.Ephemeral, allowed_mentions: { parse: [] } },
});
const say = (content: string) => reply({ content });
const linkRow = (label: string, url: string) => ({
  type: ComponentType.ActionRow as const,
  components: [{ type: ComponentType.Button as const, style: ButtonStyle.Link as const, label, url }],
});

export async function handleInteraction(ctx: AppContext, i: Interaction): Promise<APIInteractionResponse> {
  if (i.type === InteractionType.Ping) return { type: InteractionResponseType.Pong };
  const user = i.member?.user ?? i.user;
  if (!user) return say('Rolegate could not tell who you are. Try again from inside the server.');
  const cause = `interaction:${i.id}`;
  if (i.type === InteractionType.MessageComponent) {
    const customId = i.data?.custom_id ?? '';
    if (customId.startsWith('buy:')) return buy(ctx, i, user.id, customId.slice(4));
    if (customId === 'resync') return resync(ctx, i, user.id, cause);
    return say('This button is out of date. Use the latest message in the roles channel.');
  }
  if (i.type === InteractionType.ApplicationCommand) {
    switch (i.data?.name) {
      case 'claim': {
        const code = i.data.options?.find((o) => o.name === 'code')?.value;
        if (typeof code !== 'string')
          return say('Type `/claim` followed by the code from your purchase email.');
        const result = await claimGrant(ctx, {
          code,
          discordUserId: user.id,
          username: user.username ?? null,
          cause,
        });
        return say(claimMessage(result));
      }
      case 'access':
        return access(ctx, i, user.id);
      default:
        return say(
          'Rolegate does not know this command. An admin may need to run `rolegate discord register-commands`.',
        );
    }
  }
  return say('Rolegate cannot handle this kind of interaction.');
}

function claimMessage(r: ClaimResult): string {
  switch (r.kind) {
    case 'claimed':
      return `Linked! **${r.entitlementName}** on ${r.serverName} is now yours; your roles arrive in a few seconds.${
        r.switchedFrom ? ' Your purchases moved from the Discord account linked before.' : ''
      }`;
    case 'already_yours':
      return `This code is already linked to you. Rolegate is checking your roles for **${r.entitlementName}** again now.`;
    case 'malformed':
      return 'That does not look like a claim code. It has 8 letters and digits, like `ABCD-1234`, and is in your purchase email.';
    case 'unknown_code':
      return 'That code does not match any purchase. Check the code in your purchase email.';
    case 'used_by_someone_else':
      return 'This code was already used by another Discord account. If that was you, use the "Connect Discord" link in your email to switch accounts.';
    case 'ended':
      return `The purchase with this code (**${r.entitlementName}**) has ended, so there is nothing to claim.`;
  }
}

async function buy(
  ctx: AppContext,
  i: Interaction,
  userId: string,
  entitlementId: string,
): Promise<APIInteractionResponse> {
  const ent = await buyButtonOffer(ctx.db.kysely, entitlementId);
  if (!ent || ent.archivedAt !== null || (i.guild_id && i.guild_id !== ent.guildId))
    return say('This item is no longer for sale here. The roles channel shows what is on sale now.');
  if (ent.saleEndsAt !== null && ent.saleEndsAt <= ctx.clock.now())
    return say(
      `The sale of **${ent.name}** ended on ${formatDate(ent.saleEndsAt)}. It can no longer be bought.`,
    );
  if (!ctx.ports.checkout)
    return say(
      'Payments are not configured on this server yet, so nothing can be bought right now. Please tell the server staff.',
    );

  const work = checkoutReply(ctx, i, userId, ent);
  const inline = await Promise.race([
    work,
    new Promise<null>((r) => setTimeout(() => r(null), INLINE_BUDGET_MS).unref()),
  ]);
  if (inline) return reply(inline);
  // Too slow for the 3-second window: acknowledge now, and put the link in the reply when it is ready.
  const appId = i.application_id ?? ctx.config.DISCORD_APPLICATION_ID;
  void work
    .then(async (data) => {
      if (!appId || !i.token || !ctx.ports.discord) return;
      await ctx.ports.discord.editInteractionReply(appId, i.token, data);
    })
    .catch((err: unknown) =>
      ctx.log.warn({ err, interaction: i.id }, 'could not deliver a deferred checkout link'),
    );
  return {
    type: InteractionResponseType.DeferredChannelMessageWithSource,
    data: { flags: MessageFlags.Ephemeral },
  };
}

async function checkoutReply(
  ctx: AppContext,
  i: Interaction,
  userId: string,
  ent: { id: string; name: string; serverName: string },
): Promise<APIInteractionResponseCallbackData> {
  const checkout = ctx.ports.checkout;
  if (!checkout) return { content: 'Payments are not configured on this server yet.' };
  let link;
  try {
    link = await checkout.createCheckout({ entitlementId: ent.id, discordUserId: userId });
  } catch (err) {
    if (err instanceof AppError && err.code === 'entitlement_not_for_sale')
      return { content: `**${ent.name}** cannot be bought right now: ${err.message}` };
    ctx.log.warn({ err, entitlementId: ent.id }, 'checkout could not be created for a buy button');
    return {
      content: 'Rolegate could not start the checkout just now. Please click the button again in a minute.',
    };
  }
  const token = randomBytes(16).toString('base64url');
  const now = ctx.clock.now();
  const shortUrl = `${ctx.publicUrl}/c/${token}`;
  const text =
    link.kind === 'portal'
      ? `You already have **${ent.name}**. Manage your subscription here (this link is only for you):`
      : `Here is your personal checkout link for **${ent.name}** on ${ent.serverName}. It is only for you and works for 24 hours:`;
  const button = linkRow(
    link.kind === 'portal' ? 'Manage billing' : `Buy ${ent.name}`.slice(0, 80),
    shortUrl,
  );
  await inTransaction(ctx, async (tx) => {
    await saveCheckoutLink(tx.db, {
      token,
      url: link.url,
      entitlementId: ent.id,
      discordUserId: userId,
      createdAt: now,
      expiresAt: now + CHECKOUT_LINK_TTL_MS,
    });
    await enqueueDirectMessage(
      tx,
      { userId, body: { content: text, components: [button] }, cause: `interaction:${i.id}` },
      `dm:checkout:${i.id}`,
    );
  });
  return { content: text, components: [button] };
}

/** The redirect target of a short checkout link, or null when unknown or expired. */
export async function resolveCheckoutLink(ctx: AppContext, token: string): Promise<string | null> {
  const row = await checkoutLinkTarget(ctx.db.kysely, token);
  if (!row || row.expiresAt <= ctx.clock.now()) return null;
  return row.url;
}

async function serverOf(ctx: AppContext, i: Interaction) {
  if (!i.guild_id) return null;
  return serverOfGuild(ctx.db.kysely, i.guild_id);
}

const statusWords: Record<string, string> = {
  pending: 'waiting to be delivered',
  delivered: 'active',
  failed: 'needs attention',
  suspended: 'paused (payment problem)',
  revoked: 'ended',
};

async function access(ctx: AppContext, i: Interaction, userId: string): Promise<APIInteractionResponse> {
  const server = await serverOf(ctx, i);
  if (!server) return say('Use `/access` inside a server that sells roles with Rolegate.');
  const grants = await memberGrants(ctx.db.kysely, userId, server.id);
  if (grants.length === 0)
    return reply({
      content: `You have no purchases on ${server.name} linked to this Discord account. Bought on the web? Use \`/claim\` with the code from your email, or open your purchases and connect this account there.`,
      components: [{ type: ComponentType.ActionRow, components: [portalButton(ctx)] }],
    });
  const lines = grants.map((g) => {
    const until = g.endsAt !== null && g.status !== 'revoked' ? ` until ${formatDate(g.endsAt)}` : '';
    // Only the customer's own problems are shown in their words; the server's are for its staff.
    const hint =
      g.status === 'failed' && g.lastErrorOwner === 'customer' && g.lastErrorMessage
        ? ` — ${g.lastErrorMessage}`
        : '';
    return `• **${g.name}**: ${statusWords[g.status] ?? g.status}${until}${hint}`;
  });
  return reply({
    content: `Your access on ${server.name}:\n${lines.join('\n')}\n\nMissing a role (for example after leaving and rejoining)? Press the button. Billing, plan changes, receipts or another Discord account: open your purchases.`,
    components: [
      {
        type: ComponentType.ActionRow,
        components: [
          {
            type: ComponentType.Button,
            style: ButtonStyle.Secondary,
            label: 'Fix my roles',
            custom_id: 'resync',
          },
          portalButton(ctx),
        ],
      },
    ],
  });
}

/** A link into the customer portal that signs in with this Discord account (decision 0021). */
function portalButton(ctx: AppContext) {
  return {
    type: ComponentType.Button as const,
    style: ButtonStyle.Link as const,
    label: 'Open my purchases',
    url: `${ctx.publicUrl}/portal/sign-in/discord`,
  };
}

async function resync(
  ctx: AppContext,
  i: Interaction,
  userId: string,
  cause: string,
): Promise<APIInteractionResponse> {
  const server = await serverOf(ctx, i);
  if (!server) return say('Use this inside the server whose roles you want checked.');
  await inTransaction(ctx, (tx) => enqueueMemberCheck(tx, server.id, userId, cause));
  return say('Rolegate is checking your roles now; anything you paid for comes back within a few seconds.');
}
