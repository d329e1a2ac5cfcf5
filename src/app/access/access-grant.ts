import { isLive, type SyncGrant } from '../../core/desired-roles.js';

/**
 * A grant as access (member sync, reconcile, the gateway) sees it: what the pure plan needs, plus
 * what they report and decide on. One type for every reader (store/grants.ts builds it).
 */
export interface AccessGrant extends SyncGrant {
  customerId: string;
  status: string;
  /** A grant of a customer who switched this Discord account away: read as ended, plain "remove roles". */
  former: boolean;
  lastErrorCode: string | null;
  lastErrorMessage: string | null;
  /** The row as read: a guarded write of `granted_role_ids` compares these (store/grants.ts). */
  read: { active: number; grantedRoleIds: string };
}

/** Audit-log reason: ids only (staff can read it), never emails; Discord caps it at 512 characters. */
export const auditReason = (grantId: string | null, cause: string) =>
  `Rolegate ${grantId ? `grant ${grantId} ` : ''}(${cause})`.slice(0, 500);

/** The live grant that wants a role (for the audit reason), or the ended one that gave it. */
export function grantFor(grants: readonly SyncGrant[], roleId: string, now: number): string | null {
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
