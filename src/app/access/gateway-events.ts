import { GatewayDispatchEvents, type GatewayDispatchPayload } from 'discord-api-types/v10';
import { planMemberSync } from '../../core/desired-roles.js';
import { FailureError } from '../../core/failure.js';
import { RetryLater } from '../../core/jobs.js';
import { inTransaction, type AppContext } from '../shared/context.js';
import { enqueueObservedSync } from '../grants/grants.js';
import { serverCheckJob } from './jobs.js';
import { loadMemberGrants } from './store/grants.js';
import { refreshQueuedObservation } from './store/jobs.js';
import {
  enforcedRoleIdsOf,
  loadServer,
  managedRoleIdsOf,
  pauseServer,
  serverOfGuild,
} from './store/servers.js';
import { pausedByBreaker } from './breaker.js';
import { healServer } from './heal.js';
import { refreshServer, serverHealth } from './servers.js';

/**
 * What the gateway listener does with each dispatch (docs/decisions/0018-gateway-listener.md).
 * Nothing here calls Discord: a dispatch only queues the job that repairs (a member sync, a server
 * check), in the database every instance shares, or pauses a server whose bot was removed. So a
 * burst of events costs one job per member or server (jobs are deduplicated) and the same code
 * paths as everything else do the work.
 */

/** The sync cause the gateway writes to the sync log and the audit log. */
export const GATEWAY_CAUSE = { memberAdd: 'gateway_member_add', memberUpdate: 'gateway_member_update' };

export const BOT_REMOVED_REASON =
  'The Rolegate bot was removed from this server. Add it back with the install link; syncs resume by themselves.';

/** What a dispatch led to (logged at debug, and what tests look at). */
export type GatewayReaction = 'ignored' | 'in_sync' | 'member_sync_queued' | 'server_check_queued' | 'paused';

interface KnownServer {
  id: string;
  status: string;
  bot_user_id: string | null;
}

/**
 * A member joined or their roles changed: plan locally against the roles the event shows (the same
 * pure plan member sync uses) and queue a member sync, planned against those roles (no read), only
 * when something differs, so the events our own syncs cause cost nothing.
 */
export async function onMemberChanged(
  ctx: AppContext,
  server: KnownServer,
  userId: string,
  roleIds: readonly string[],
  cause: string,
): Promise<GatewayReaction> {
  const db = ctx.db.kysely;
  const managed = await managedRoleIdsOf(db, server.id);
  const grants = await loadMemberGrants(db, server.id, userId);
  if (grants.length === 0 && !roleIds.some((r) => managed.has(r))) return 'ignored';
  const plan = planMemberSync({
    grants,
    managedRoleIds: managed,
    enforcedRoleIds: await enforcedRoleIdsOf(db, server.id),
    memberRoleIds: roleIds,
    now: ctx.clock.now(),
  });
  if (plan.add.length === 0 && plan.remove.length === 0 && !plan.kick) {
    await refreshQueuedObservation(db, server.id, userId, roleIds);
    return 'in_sync';
  }
  // Queued even while a sync of this member runs: the queue runs it after that one, against this
  // observation (or a newer one), so a moderator's edit in the middle of a delivery is not lost.
  await inTransaction(ctx, (tx) => enqueueObservedSync(tx, server.id, userId, cause, roleIds));
  return 'member_sync_queued';
}

export async function queueServerCheck(ctx: AppContext, serverId: string): Promise<GatewayReaction> {
  await inTransaction(ctx, (tx) =>
    tx.enqueue(serverCheckJob, { serverId }, { dedupeKey: `server-check:${serverId}` }),
  );
  return 'server_check_queued';
}

/**
 * Dispatches with the same key are handled one after another, in the order they arrived (a
 * member's updates, a guild's role changes); different keys run side by side.
 */
export function orderKey(payload: GatewayDispatchPayload): string {
  const d = payload.d as { guild_id?: string; id?: string; user?: { id: string } } | null;
  const guild = d?.guild_id ?? d?.id ?? '';
  return d?.user ? `${guild}:${d.user.id}` : guild;
}

/** Reacts to one dispatch. Events of guilds Rolegate does not manage are ignored. */
export async function handleGatewayDispatch(
  ctx: AppContext,
  payload: GatewayDispatchPayload,
): Promise<GatewayReaction> {
  switch (payload.t) {
    case GatewayDispatchEvents.GuildMemberAdd:
    case GatewayDispatchEvents.GuildMemberUpdate: {
      const d = payload.d;
      const server = await serverOfGuild(ctx.db.kysely, d.guild_id);
      if (!server) return 'ignored';
      // The bot's own roles decide what it may grant: a health question, not a member one.
      if (d.user.id === server.bot_user_id) return queueServerCheck(ctx, server.id);
      const cause =
        payload.t === GatewayDispatchEvents.GuildMemberAdd
          ? GATEWAY_CAUSE.memberAdd
          : GATEWAY_CAUSE.memberUpdate;
      return onMemberChanged(ctx, server, d.user.id, d.roles, cause);
    }
    case GatewayDispatchEvents.GuildRoleCreate:
    case GatewayDispatchEvents.GuildRoleUpdate:
    case GatewayDispatchEvents.GuildRoleDelete: {
      const server = await serverOfGuild(ctx.db.kysely, payload.d.guild_id);
      return server ? queueServerCheck(ctx, server.id) : 'ignored';
    }
    case GatewayDispatchEvents.GuildDelete: {
      // `unavailable: true` is an outage on Discord's side, not a removal.
      if (payload.d.unavailable === true) return 'ignored';
      const server = await serverOfGuild(ctx.db.kysely, payload.d.id);
      if (!server) return 'ignored';
      await pauseServer(ctx.db.kysely, server.id, BOT_REMOVED_REASON, ctx.clock.now());
      ctx.log.warn({ serverId: server.id, guildId: payload.d.id }, 'the bot was removed: server paused');
      return 'paused';
    }
    case GatewayDispatchEvents.GuildCreate: {
      // Sent for every guild on connect, and when the bot is added back: only a paused server needs a look.
      const server = await serverOfGuild(ctx.db.kysely, payload.d.id);
      return server?.status === 'paused' ? queueServerCheck(ctx, server.id) : 'ignored';
    }
    default:
      return 'ignored';
  }
}

/**
 * The `server.check` job: the health step of reconcile for one server, now. A paused server is
 * healed (resumed and its waiting members re-synced when its setup is fixed; a breaker pause is
 * left to reconcile); an active one is re-read and paused when a managed role is no longer
 * grantable or the bot lost access.
 */
export async function checkServer(
  ctx: AppContext,
  serverId: string,
): Promise<'healthy' | 'paused' | 'skipped'> {
  const db = ctx.db.kysely;
  const server = await loadServer(db, serverId);
  if (server.status === 'removed') return 'skipped';
  if (server.status === 'paused') {
    if (await pausedByBreaker(db, server)) return 'skipped';
    return (await healServer(ctx, serverId)) ? 'healthy' : 'paused';
  }
  try {
    await refreshServer(ctx, serverId);
  } catch (err) {
    if (!(err instanceof FailureError) || err.failure.owner !== 'merchant') throw err;
    await pauseServer(db, serverId, err.failure.message, ctx.clock.now());
    return 'paused';
  }
  const first = (await serverHealth(ctx, serverId)).roles.find((r) => r.problem)?.problem;
  if (!first) return 'healthy';
  await pauseServer(db, serverId, first.message, ctx.clock.now());
  ctx.log.warn({ serverId, problem: first.code }, 'a managed role is no longer grantable: server paused');
  return 'paused';
}

/** The `server.check` job the gateway queues for role and guild events. */
export async function runServerCheckJob(ctx: AppContext, { serverId }: { serverId: string }): Promise<void> {
  try {
    const outcome = await checkServer(ctx, serverId);
    ctx.log.info({ serverId, outcome }, 'server checked after a gateway event');
  } catch (err) {
    if (
      err instanceof FailureError &&
      err.failure.owner === 'retry' &&
      err.failure.retryAfterMs !== undefined
    )
      throw new RetryLater(Date.now() + err.failure.retryAfterMs, err.failure.message);
    throw err;
  }
}
