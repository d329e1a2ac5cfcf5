import { heldAfterEnd, isLive } from '../../core/desired-roles.js';
import { inTransaction, type AppContext } from '../shared/context.js';
import { grantView } from '../grants/grants.js';
import type { ServerGrant } from './reconcile-data.js';
import { emitWebhookEvent } from '../webhooks/events.js';

/**
 * Keeps `granted_role_ids` true after reconcile changed a member's roles (decision 0023): the same
 * rule member sync writes (decision 0010) — a delivered live grant lists the roles of it the member
 * holds, an ended grant what it still holds (heldAfterEnd). Live grants not delivered yet are left
 * to the member sync reconcile queues for them.
 */

/** A member whose roles reconcile changed: their grants and their roles after the repairs that succeeded. */
export interface RepairedMember {
  grants: ServerGrant[];
  roles: Set<string>;
  /** Repairs planned for the member and not (yet) applied: a failed or held-back one keeps it above 0. */
  pending: number;
}

function grantedNow(g: ServerGrant, roles: ReadonlySet<string>, now: number): string[] | null {
  if (isLive(g, now))
    return g.status === 'delivered' ? g.entitlement.roleIds.filter((r) => roles.has(r)).sort() : null;
  return heldAfterEnd(g, roles);
}

export async function recordRepairedGrantRoles(
  ctx: AppContext,
  members: Iterable<RepairedMember>,
  now: number,
): Promise<void> {
  for (const { grants, roles, pending } of members) {
    // Half-repaired (a failure, the breaker holding removals back): member sync records it later.
    if (pending > 0) continue;
    for (const g of grants) {
      const granted = grantedNow(g, roles, now);
      const before = JSON.stringify(g.grantedRoleIds);
      if (granted === null || JSON.stringify(granted) === JSON.stringify([...g.grantedRoleIds].sort()))
        continue;
      await inTransaction(ctx, async (tx) => {
        // Guarded by what the plan read: a grant changed meanwhile has its own sync queued.
        const r = await tx.db
          .updateTable('grants')
          .set({ granted_role_ids: JSON.stringify(granted), updated_at: ctx.clock.now() })
          .where('id', '=', g.id)
          .where('status', '=', g.status)
          .where('active', '=', g.active ? 1 : 0)
          .where('granted_role_ids', '=', before)
          .executeTakeFirst();
        if (Number(r.numUpdatedRows) !== 1) return;
        const after = await tx.db
          .selectFrom('grants')
          .selectAll()
          .where('id', '=', g.id)
          .executeTakeFirstOrThrow();
        if (after.announced_at !== null)
          await emitWebhookEvent(ctx, tx, 'entitlement_grant.updated', grantView(after));
      });
    }
  }
}
