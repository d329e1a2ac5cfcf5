import { isLive } from '../../core/desired-roles.js';
import type { AppContext } from '../shared/context.js';
import { inTransaction } from '../shared/context.js';
import { applyGrantEvent } from './grants.js';
import { endedGrantIds, grantById } from './store.js';

/** Ends a grant whose period is over (N-day access). Runs at `ends_at`; a no-op if it was extended. */
export async function expireGrant(ctx: AppContext, { grantId }: { grantId: string }): Promise<void> {
  await inTransaction(ctx, async (tx) => {
    const g = await grantById(tx.db, grantId);
    if (!g || g.status === 'revoked' || g.ends_at === null) return;
    const now = ctx.clock.now();
    if (isLive({ active: g.active === 1, startsAt: g.starts_at, endsAt: g.ends_at }, now)) return;
    if (g.ends_at > now) return;
    await applyGrantEvent(ctx, tx, grantId, 'revoke', { cause: `grant:${grantId}`, reason: 'expired' });
  });
}

/** Safety net for lost expiry jobs: revokes every grant whose end passed. */
export async function sweepExpiredGrants(ctx: AppContext, limit = 500): Promise<number> {
  const now = ctx.clock.now();
  const due = await endedGrantIds(ctx.db.kysely, now, limit);
  for (const id of due) await expireGrant(ctx, { grantId: id });
  return due.length;
}
