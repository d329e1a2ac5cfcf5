import { heldAfterEnd, isLive } from '../../core/desired-roles.js';
import { inTransaction, type AppContext } from '../shared/context.js';
import { grantView } from '../grants/grants.js';
import { emitWebhookEvent } from '../webhooks/events.js';
import type { AccessGrant } from './access-grant.js';
import { updateGrantedRoles } from './store/grants.js';

/**
 * Keeps `granted_role_ids` true after a member's roles changed (decisions 0010, 0023), for member
 * sync and reconcile alike: a delivered live grant lists the roles of it the member holds (only
 * when `live` is asked for; member sync writes those with the delivery), an ended grant what it
 * still holds (heldAfterEnd). Live grants not delivered yet are left to member sync; a former
 * account's grants are left alone (they are judged by the account the buyer uses now).
 */
function grantedNow(g: AccessGrant, roles: ReadonlySet<string>, now: number, live: boolean): string[] | null {
  if (g.former) return null;
  if (isLive(g, now))
    return live && g.status === 'delivered' ? g.entitlement.roleIds.filter((r) => roles.has(r)).sort() : null;
  return heldAfterEnd(g, roles);
}

export async function recordHeldRoles(
  ctx: AppContext,
  grants: readonly AccessGrant[],
  memberRoles: ReadonlySet<string>,
  options: { now: number; live: boolean },
): Promise<void> {
  for (const g of grants) {
    const granted = grantedNow(g, memberRoles, options.now, options.live);
    if (granted === null || JSON.stringify(granted) === JSON.stringify([...g.grantedRoleIds].sort()))
      continue;
    await inTransaction(ctx, async (tx) => {
      // Guarded by what decides the roles (a restore meanwhile queued its own sync); other columns,
      // such as a revoke's billing outcome, may change concurrently without making this wrong.
      const after = await updateGrantedRoles(tx.db, g, granted, ctx.clock.now());
      if (after?.announced_at != null)
        await emitWebhookEvent(ctx, tx, 'entitlement_grant.updated', grantView(after));
    });
  }
}
