import type { Failure } from '../core/failure.js';
import { isLive, type RevokeAction, type SyncGrant } from '../core/desired-roles.js';
import type { AppContext } from './context.js';
import type { GrantRow } from './grants.js';

/** What member sync reads and writes around its Discord calls: the grants of one member, and the sync log. */

export type LoadedGrant = SyncGrant & { row: GrantRow };

export async function loadGrants(ctx: AppContext, serverId: string, userId: string): Promise<LoadedGrant[]> {
  const rows = await ctx.db.kysely
    .selectFrom('grants')
    .innerJoin('customers', 'customers.id', 'grants.customer_id')
    .innerJoin('entitlements', 'entitlements.id', 'grants.entitlement_id')
    .selectAll('grants')
    .select([
      'entitlements.role_ids as e_role_ids',
      'entitlements.revoke_action as e_revoke_action',
      'entitlements.fallback_role_id as e_fallback_role_id',
      'entitlements.enforce_roles as e_enforce_roles',
    ])
    .where('grants.server_id', '=', serverId)
    .where('customers.discord_user_id', '=', userId)
    .orderBy('grants.created_at')
    .execute();
  return rows.map(({ e_role_ids, e_revoke_action, e_fallback_role_id, e_enforce_roles, ...row }) => ({
    row,
    id: row.id,
    active: row.active === 1,
    startsAt: row.starts_at,
    endsAt: row.ends_at,
    deliveredAt: row.delivered_at,
    grantedRoleIds: JSON.parse(row.granted_role_ids) as string[],
    entitlement: {
      id: row.entitlement_id,
      roleIds: JSON.parse(e_role_ids) as string[],
      revokeAction: e_revoke_action as RevokeAction,
      fallbackRoleId: e_fallback_role_id,
      enforceRoles: e_enforce_roles === 1,
    },
  }));
}

export async function writeSyncLog(
  ctx: AppContext,
  entry: {
    serverId: string;
    userId: string;
    grantId: string | null;
    action: 'add_role' | 'remove_role' | 'join' | 'kick' | 'check';
    roleId?: string | null;
    outcome: 'ok' | 'failed' | 'skipped';
    failure?: Failure;
    message?: string;
    cause: string;
  },
) {
  await ctx.db.kysely
    .insertInto('sync_log')
    .values({
      server_id: entry.serverId,
      discord_user_id: entry.userId,
      grant_id: entry.grantId,
      action: entry.action,
      role_id: entry.roleId ?? null,
      outcome: entry.outcome,
      error_code: entry.failure?.code ?? null,
      error_owner: entry.failure?.owner ?? null,
      message: entry.failure?.message ?? entry.message ?? null,
      cause: entry.cause,
      created_at: ctx.clock.now(),
    })
    .execute();
}

/** Audit-log reason: ids only (staff can read it), never emails; Discord caps it at 512 characters. */
export const auditReason = (grantId: string | null, cause: string) =>
  `Rolegate ${grantId ? `grant ${grantId} ` : ''}(${cause})`.slice(0, 500);

/** The live grant that wants a role (for the audit reason), or the ended one that gave it. */
export function grantFor(grants: LoadedGrant[], roleId: string, now: number): string | null {
  const live = grants.find((g) => isLive(g, now) && g.entitlement.roleIds.includes(roleId));
  if (live) return live.id;
  const past = [...grants]
    .reverse()
    .find(
      (g) =>
        g.grantedRoleIds.includes(roleId) ||
        g.entitlement.roleIds.includes(roleId) ||
        g.entitlement.fallbackRoleId === roleId,
    );
  return past?.id ?? grants[0]?.id ?? null;
}
