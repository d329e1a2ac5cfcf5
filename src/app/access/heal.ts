import { FailureError } from '../../core/failure.js';
import type { AppContext } from '../shared/context.js';
import { inTransaction } from '../shared/context.js';
import { enqueueMemberSync } from '../grants/grants.js';
import { refreshServer, serverHealth } from './servers.js';
import { findServer, recordPausedCheck, resumeServer, serversIn } from './store/servers.js';
import { usersWithWaitingGrants } from './store/grants.js';
import { usersHeldBackSince } from './store/sync-log.js';
import { pausedByBreaker } from './breaker.js';

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
    await recordPausedCheck(ctx.db.kysely, serverId, {
      reason: err.failure.owner === 'merchant' ? err.failure.message : undefined,
      at: ctx.clock.now(),
    });
    return false;
  }
  const health = await serverHealth(ctx, serverId);
  if (!health.healthy) {
    const first = health.roles.find((r) => r.problem)?.problem;
    if (first) await recordPausedCheck(ctx.db.kysely, serverId, { reason: first.message });
    return false;
  }
  const now = ctx.clock.now();
  await inTransaction(ctx, async (tx) => {
    const server = await findServer(tx.db, serverId);
    if (server?.status !== 'paused') return;
    const waiting = await usersWithWaitingGrants(tx.db, serverId);
    const skipped = await usersHeldBackSince(tx.db, serverId, server.paused_at ?? 0);
    await resumeServer(tx.db, serverId, now);
    const users = new Set([...waiting, ...skipped]);
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
  const paused = await serversIn(ctx.db.kysely, ['paused']);
  let healed = 0;
  for (const s of paused) {
    // A breaker stop is not a setup problem: only reconcile (a smaller diff, or a person's confirmation) lifts it.
    if (await pausedByBreaker(ctx.db.kysely, s)) continue;
    if (await healServer(ctx, s.id)) healed += 1;
  }
  return healed;
}
