import {
  ButtonStyle,
  ComponentType,
  type APIActionRowComponent,
  type APIButtonComponent,
} from 'discord-api-types/v10';
import { AppError, notFound } from '../../core/errors.js';
import { FailureError } from '../../core/failure.js';
import { inTransaction, type AppContext, type Tx } from '../shared/context.js';
import type { DiscordMessageBody } from '../../core/ports/discord.js';
import { rolesChannelPublishJob, type RolesChannelPayload } from './jobs.js';
import { clip, formatDate, formatDuration, formatPrice } from '../catalog/offer-text.js';
import {
  activePricesOf,
  entitlementsOnSale,
  recordRolesChannelState,
  rolesChannelProblem,
  rolesChannelState,
  serverById,
  setRolesMessage,
} from './store/roles-channel.js';

/**
 * The roles channel: per server, ONE message listing what is for sale with a buy button each.
 * It is edited in place when entitlements change and posted again when someone deleted it, so the
 * channel never fills up with stale copies.
 */
/** Discord's legacy layout: 5 action rows × 5 buttons. */
export const MAX_OFFERS = 25;
const CHANNEL_NAME = 'roles';

/** Queues a (re)publish; a burst of entitlement edits collapses into one Discord call. */
export async function enqueueRolesChannelPublish(tx: Tx, serverId: string, force = false): Promise<void> {
  const payload: RolesChannelPayload = force ? { serverId, force } : { serverId };
  await tx.enqueue(rolesChannelPublishJob, payload, {
    // One key per server, so two publishes never run at once (two would both post a message). A
    // person's request replaces a queued automatic run's payload, so it is never swallowed by one.
    dedupeKey: `roles_channel:${serverId}`,
    replacePayload: force,
  });
}

const MANAGE_CHANNELS = 1n << 4n;
const ADMINISTRATOR = 1n << 3n;

/** From the stored snapshot of the bot's permissions (refreshed by the server health check). */
function botMayCreateChannels(permissions: string): boolean {
  try {
    const bits = BigInt(permissions);
    return (bits & (MANAGE_CHANNELS | ADMINISTRATOR)) !== 0n;
  } catch {
    return false;
  }
}

const CREATE_CHANNEL_PROBLEM =
  'The Rolegate bot may not create a #roles channel. Pick a channel for the roles message (PUT /api/servers/:id/roles-channel), or give the bot Manage Channels.';

export interface Offer {
  id: string;
  name: string;
  description: string;
  prices: string[];
  duration: string;
  saleEndsAt: number | null;
}

/** Entitlements of a server that can be bought now: not archived, sale not over, with a price. */
export async function loadOffers(ctx: AppContext, serverId: string): Promise<Offer[]> {
  const now = ctx.clock.now();
  const rows = await entitlementsOnSale(ctx.db.kysely, serverId, now);
  if (rows.length === 0) return [];
  const prices = await activePricesOf(
    ctx.db.kysely,
    rows.map((r) => r.id),
  );
  return rows
    .map((e) => ({
      id: e.id,
      name: e.name,
      description: e.description,
      prices: prices.filter((p) => p.entitlement_id === e.id).map(formatPrice),
      duration: formatDuration(e),
      saleEndsAt: e.sale_ends_at,
    }))
    .filter((o) => o.prices.length > 0);
}

/** The message: an embed with one field per offer, and a button per offer (at most 25). */
export function renderRolesMessage(serverName: string, all: Offer[]): DiscordMessageBody {
  const offers = all.slice(0, MAX_OFFERS);
  if (offers.length === 0) {
    return {
      content: '',
      embeds: [{ title: clip(`${serverName}: roles`, 256), description: 'Nothing is for sale right now.' }],
      components: [],
    };
  }
  const fields = offers.map((o) => {
    const lines = [`${o.prices.join(' or ')} · ${o.duration}`];
    if (o.saleEndsAt !== null) lines.push(`On sale until ${formatDate(o.saleEndsAt)}`);
    if (o.description) lines.push(o.description);
    return { name: clip(o.name, 256), value: clip(lines.join('\n'), 1024) };
  });
  const rows: APIActionRowComponent<APIButtonComponent>[] = [];
  offers.forEach((o, i) => {
    if (i % 5 === 0) rows.push({ type: ComponentType.ActionRow, components: [] });
    rows[rows.length - 1]?.components.push({
      type: ComponentType.Button,
      style: ButtonStyle.Primary,
      label: clip(`Buy ${o.name}`, 80),
      custom_id: `buy:${o.id}`,
    });
  });
  const more = all.length > MAX_OFFERS ? `\n(${all.length - MAX_OFFERS} more on the web shop.)` : '';
  return {
    content: '',
    embeds: [
      {
        title: clip(`${serverName}: roles`, 256),
        description: `Pick what you want; you get a personal checkout link that only you can see.${more}`,
        fields,
      },
    ],
    components: rows,
  };
}

const failureCode = (err: unknown) => (err instanceof FailureError ? err.failure.code : null);

async function recordState(ctx: AppContext, serverId: string, error: string | null) {
  await recordRolesChannelState(ctx.db.kysely, serverId, error, ctx.clock.now());
}

/** A setup problem the merchant must fix: recorded (shown with the server), never retried in a loop. */
function merchantProblem(err: unknown): string | null {
  if (!(err instanceof FailureError) || err.failure.owner === 'retry') return null;
  return err.failure.message;
}

export type PublishOutcome = 'created' | 'edited' | 'not_configured' | 'skipped' | 'blocked';

/**
 * Creates the channel if the server has none, then edits the one message in place, or posts it
 * again when it was deleted (10008) or its channel was (10003).
 */
export async function publishRolesChannel(
  ctx: AppContext,
  serverId: string,
  options: { force?: boolean } = {},
): Promise<PublishOutcome> {
  const discord = ctx.ports.discord;
  if (!discord) return 'not_configured';
  const server = await serverById(ctx.db.kysely, serverId);
  if (!server || server.status === 'removed') return 'skipped';
  if (!options.force) {
    // Never repeat a refused call on every entitlement edit (Discord counts 403s against the IP):
    // after a merchant problem, wait until the health check has looked at the server again.
    const state = await rolesChannelProblem(ctx.db.kysely, server.id);
    if (state?.error && state.updatedAt >= (server.health_checked_at ?? 0)) return 'blocked';
    if (server.roles_channel_id === null && !botMayCreateChannels(server.bot_permissions)) {
      await recordState(ctx, server.id, CREATE_CHANNEL_PROBLEM);
      return 'blocked';
    }
  }
  const body = renderRolesMessage(server.name, await loadOffers(ctx, serverId));
  let channelId = server.roles_channel_id;
  let messageId = server.roles_message_id;
  const reason = `Rolegate roles channel for server ${server.id}`;
  try {
    for (let attempt = 0; attempt < 2; attempt++) {
      if (channelId === null) {
        channelId = (await discord.createTextChannel(server.guild_id, CHANNEL_NAME, reason)).id;
        messageId = null;
        await setRolesMessage(ctx.db.kysely, server.id, channelId, null, ctx.clock.now());
      }
      try {
        if (messageId !== null) {
          try {
            await discord.editMessage(channelId, messageId, body);
            await recordState(ctx, server.id, null);
            return 'edited';
          } catch (err) {
            if (failureCode(err) !== 'unknown_message') throw err;
            ctx.log.info({ serverId, messageId }, 'roles message was deleted; posting it again');
          }
        }
        const posted = await discord.createMessage(channelId, body);
        await setRolesMessage(ctx.db.kysely, server.id, channelId, posted.id, ctx.clock.now());
        await recordState(ctx, server.id, null);
        return 'created';
      } catch (err) {
        if (failureCode(err) !== 'unknown_channel') throw err;
        // The channel itself is gone: make a new one (once) rather than leave the shop empty.
        ctx.log.info({ serverId, channelId }, 'roles channel was deleted; creating a new one');
        channelId = null;
      }
    }
    return 'blocked';
  } catch (err) {
    const problem = merchantProblem(err);
    if (problem === null) throw err;
    const hint =
      channelId === null
        ? ' Pick a channel for the roles message instead (PUT /api/servers/:id/roles-channel), or give the bot Manage Channels.'
        : '';
    await recordState(ctx, server.id, `${problem}${hint}`);
    ctx.log.warn({ serverId, problem }, 'roles channel could not be published');
    return 'blocked';
  }
}

export async function runRolesChannelJob(
  ctx: AppContext,
  { serverId, force }: RolesChannelPayload,
): Promise<void> {
  const outcome = await publishRolesChannel(ctx, serverId, { force: force === true });
  ctx.log.info({ serverId, outcome }, 'roles channel publish');
}

/**
 * The merchant picks the channel (a text channel of that server). The old message is left where
 * it was: deleting things in a merchant's server unasked is worse than one stale post they can remove.
 */
export async function setRolesChannel(ctx: AppContext, serverId: string, channelId: string) {
  const server = await serverById(ctx.db.kysely, serverId);
  if (!server) throw notFound('server', serverId);
  const discord = ctx.ports.discord;
  if (!discord)
    throw new AppError('service_unavailable', 'Discord is not configured on this Rolegate instance');
  let channels;
  try {
    channels = await discord.getGuildChannels(server.guild_id);
  } catch (err) {
    if (err instanceof FailureError && err.failure.owner !== 'retry')
      throw new AppError('unprocessable', err.failure.message);
    throw new AppError('service_unavailable', 'Discord did not answer; try again in a minute');
  }
  const channel = channels.find((c) => c.id === channelId);
  if (!channel)
    throw new AppError(
      'unprocessable',
      `channel ${channelId} is not a channel of server ${server.name} the bot can see`,
    );
  if (channel.type !== 0)
    throw new AppError('unprocessable', `channel ${channelId} is not a text channel; pick a text channel`);
  await inTransaction(ctx, async (tx) => {
    if (server.roles_channel_id !== channelId) {
      await setRolesMessage(tx.db, server.id, channelId, null, ctx.clock.now());
    }
    await enqueueRolesChannelPublish(tx, server.id, true);
  });
  return rolesChannelView(ctx, server.id);
}

export async function rolesChannelView(ctx: AppContext, serverId: string) {
  const state = await rolesChannelState(ctx.db.kysely, serverId);
  if (!state) throw notFound('server', serverId);
  return {
    server_id: state.serverId,
    channel_id: state.channelId,
    message_id: state.messageId,
    problem: state.problem,
    published_at: state.publishedAt ? new Date(state.publishedAt).toISOString() : null,
  };
}
