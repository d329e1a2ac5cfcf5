import { FailureError } from '../../core/failure.js';
import type { AppContext } from '../shared/context.js';
import { inTransaction } from '../shared/context.js';
import { enqueueMemberSync } from '../grants/grants.js';
import { refreshServer, resumeServer, serverHealth } from './servers.js';
import { pausedByBreaker } from './reconcile-data.js';

/** How often the `servers.heal` task (./jobs.ts) re-checks paused servers. */
export const SERVERS_HEAL_EVERY_MS = 30_000;

/**
 * Re-checks one paused server from Discord (guild + roles + bot member: three cheap GETs). When
 * every managed role is grantable again it resumes the server and queues a sync for every member
 * with a live grant still waiting (pending/failed) or whose sync was skipped while paused, so the
 * grants heal to `delivered` by themselves — nobody clicks "retry".
 */
export async function healServer(ctx: AppContext, serverId: string): Promise<boolean> {
  try {
    await refreshServer(ctx, serverId);
  } catch (err) {
    if (!(err instanceof FailureError)) throw err;
    // Still broken (bot removed, no access) or Discord unavailable: stay paused, check again next period.
    await ctx.db.kysely
      .updateTable('servers')
      .set(
        err.failure.owner === 'merchant'
          ? { pause_reason: err.failure.message, health_checked_at: ctx.clock.now() }
          : { health_checked_at: ctx.clock.now() },
      )
      .where('id', '=', serverId)
      .execute();
    return false;
  }
  const health = await serverHealth(ctx, serverId);
  if (!health.healthy) {
    const first = health.roles.find((r) => r.problem)?.problem;
    if (first)
      await ctx.db.kysely
        .updateTable('servers')
        .set({ pause_reason: first.message })
        .where('id', '=', serverId)
        .execute();
    return false;
  }
  const now = ctx.clock.now();
  await inTransaction(ctx, async (tx) => {
    const server = await tx.db
      .selectFrom('servers')
      .select(['status', 'paused_at'])
      .where('id', '=', serverId)
      .executeTakeFirst();
    if (server?.status !== 'paused') return;
    const waiting = await tx.db
      .selectFrom('grants')
      .innerJoin('customers', 'customers.id', 'grants.customer_id')
      .select('customers.discord_user_id as userId')
      .distinct()
      .where('grants.server_id', '=', serverId)
      .where('grants.active', '=', 1)
      .where('grants.status', 'in', ['pending', 'failed'])
      .where('customers.discord_user_id', 'is not', null)
      .execute();
    const skipped = await tx.db
      .selectFrom('sync_log')
      .select('discord_user_id as userId')
      .distinct()
      .where('server_id', '=', serverId)
      .where('outcome', 'in', ['skipped', 'failed'])
      .where('error_owner', '=', 'merchant')
      .where('action', '!=', 'billing') // a Stripe failure, not a member to re-sync
      .where('created_at', '>=', server.paused_at ?? 0)
      .execute();
    await resumeServer(tx.db, serverId, now);
    const users = new Set(
      [...waiting, ...skipped].map((r) => r.userId).filter((u): u is string => u !== null),
    );
    for (const userId of users) await enqueueMemberSync(tx, serverId, userId, 'heal');
    ctx.log.info(
      { serverId, queued: users.size },
      'server healthy again: resumed and re-syncing waiting members',
    );
  });
  return true;
}

/** The `servers.heal` periodic job: heals every paused server it can. */
export async function healPausedServers(ctx: AppContext): Promise<number> {
  if (!ctx.ports.discord) return 0;
  const paused = await ctx.db.kysely
    .selectFrom('servers')
    .select(['id', 'status', 'paused_at'])
    .where('status', '=', 'paused')
    .execute();
  let healed = 0;
  for (const s of paused) {
    // A breaker stop is not a setup problem: only reconcile (a smaller diff, or a person's confirmation) lifts it.
    if (await pausedByBreaker(ctx.db.kysely, s)) continue;
    if (await healServer(ctx, s.id)) healed += 1;
  }
  return healed;
}
