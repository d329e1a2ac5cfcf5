import type { Failure } from '../core/failure.js';
import { isLive, type RevokeAction, type SyncGrant } from '../core/desired-roles.js';
import type { AppContext } from './context.js';
import type { GrantRow } from './grants.js';

/** What member sync reads and writes around its Discord calls: the grants of one member, and the sync log. */

export type LoadedGrant = SyncGrant & { row: GrantRow };

/**
 * The grants that concern one (server, user): those of the customer currently linked to the user,
 * plus those of customers who linked this account before and switched away from it. The latter are
 * loaded as ended, with a plain "remove roles" policy: the old account loses what it was given for
 * them (never a kick or a fallback role — the buyer still has access, on their new account).
 */
export async function loadGrants(ctx: AppContext, serverId: string, userId: string): Promise<LoadedGrant[]> {
  const base = () =>
    ctx.db.kysely
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
      .where('grants.server_id', '=', serverId);
  const current = await base()
    .where('customers.discord_user_id', '=', userId)
    .orderBy('grants.created_at')
    .execute();
  const former = await base()
    .innerJoin('discord_link_history', 'discord_link_history.customer_id', 'customers.id')
    .where('discord_link_history.discord_user_id', '=', userId)
    .where((eb) =>
      eb.or([eb('customers.discord_user_id', 'is', null), eb('customers.discord_user_id', '!=', userId)]),
    )
    .orderBy('grants.created_at')
    .execute();
  const toLoaded = (
    { e_role_ids, e_revoke_action, e_fallback_role_id, e_enforce_roles, ...row }: (typeof current)[number],
    switchedAway: boolean,
  ): LoadedGrant => ({
    row,
    id: row.id,
    active: switchedAway ? false : row.active === 1,
    startsAt: row.starts_at,
    endsAt: row.ends_at,
    deliveredAt: row.delivered_at,
    grantedRoleIds: JSON.parse(row.granted_role_ids) as string[],
    entitlement: {
      id: row.entitlement_id,
      roleIds: JSON.parse(e_role_ids) as string[],
      revokeAction: switchedAway ? 'remove_roles' : (e_revoke_action as RevokeAction),
      fallbackRoleId: switchedAway ? null : e_fallback_role_id,
      enforceRoles: e_enforce_roles === 1,
    },
  });
  return [...current.map((r) => toLoaded(r, false)), ...former.map((r) => toLoaded(r, true))];
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
