/**
 * Desired roles and the member-sync plan, as pure functions.
 * Level-triggered: the plan depends only on the grants as they are now and the member as Discord
 * shows it, never on the event that asked for the sync.
 */

export const revokeActions = ['remove_roles', 'kick', 'keep', 'swap'] as const;
export type RevokeAction = (typeof revokeActions)[number];

/** What member sync needs to know about one grant of one (server, user). */
export interface SyncGrant {
  id: string;
  active: boolean;
  startsAt: number;
  endsAt: number | null;
  /** When the grant was first delivered; null when it never reached Discord. */
  deliveredAt: number | null;
  /** Roles the grant actually gave (so a role taken out of the entitlement is still removed). */
  grantedRoleIds: readonly string[];
  entitlement: SyncEntitlement;
}

export interface SyncEntitlement {
  id: string;
  roleIds: readonly string[];
  revokeAction: RevokeAction;
  fallbackRoleId: string | null;
  enforceRoles: boolean;
}

/** A grant confers access now: active and inside its period. */
export function isLive(grant: Pick<SyncGrant, 'active' | 'startsAt' | 'endsAt'>, now: number): boolean {
  return grant.active && grant.startsAt <= now && (grant.endsAt === null || grant.endsAt > now);
}

/** The union of the roles of every live grant. Two grants giving one role: the role stays while either lives. */
export function desiredRoles(grants: readonly SyncGrant[], now: number): Set<string> {
  const desired = new Set<string>();
  const liveEntitlements = new Set<string>();
  for (const g of grants) {
    if (!isLive(g, now)) continue;
    liveEntitlements.add(g.entitlement.id);
    for (const r of g.entitlement.roleIds) desired.add(r);
  }
  // A fallback role ("swap") is wanted while the user has an ended grant of that entitlement and no live one.
  for (const g of grants) {
    const e = g.entitlement;
    if (e.revokeAction !== 'swap' || !e.fallbackRoleId) continue;
    if (!isLive(g, now) && g.deliveredAt !== null && !liveEntitlements.has(e.id))
      desired.add(e.fallbackRoleId);
  }
  return desired;
}

/**
 * The roles an ended (revoked, expired, suspended) grant still holds once member sync applied its
 * revoke action to a member who now has `memberRoleIds`: nothing when its roles were removed or the
 * member kicked; the roles it gave that `keep` left in place; the fallback role `swap` gave.
 */
export function heldAfterEnd(grant: SyncGrant, memberRoleIds: ReadonlySet<string>): string[] {
  const e = grant.entitlement;
  switch (e.revokeAction) {
    case 'keep':
      return grant.grantedRoleIds.filter((r) => memberRoleIds.has(r)).sort();
    case 'swap':
      return e.fallbackRoleId !== null && grant.deliveredAt !== null && memberRoleIds.has(e.fallbackRoleId)
        ? [e.fallbackRoleId]
        : [];
    case 'remove_roles':
    case 'kick':
      return [];
  }
}

export interface MemberPlan {
  desired: Set<string>;
  add: string[];
  remove: string[];
  /** Add the user to the server (needs their `guilds.join` token). */
  join: boolean;
  kick: boolean;
  /** The user has at least one live grant on the server. */
  entitled: boolean;
}

export interface PlanInput {
  grants: readonly SyncGrant[];
  /** Every role some entitlement of this server grants, or once granted. Nothing else is ever touched. */
  managedRoleIds: ReadonlySet<string>;
  /** Roles of entitlements whose merchant chose to enforce them (hand-given copies are removed). */
  enforcedRoleIds: ReadonlySet<string>;
  /** The member's current roles, or null when the user is not in the server. */
  memberRoleIds: readonly string[] | null;
  now: number;
}

/** Compares desired with actual managed roles and says what to change. No change → all empty. */
export function planMemberSync(input: PlanInput): MemberPlan {
  const { grants, managedRoleIds, enforcedRoleIds, memberRoleIds, now } = input;
  const desired = desiredRoles(grants, now);
  const entitled = grants.some((g) => isLive(g, now));

  // Roles this user got from us (a revoke must take them away even if the entitlement changed since).
  const ours = new Set<string>();
  const keptByPolicy = new Set<string>();
  for (const g of grants) {
    if (g.deliveredAt === null && !isLive(g, now)) continue;
    for (const r of g.grantedRoleIds) ours.add(r);
    for (const r of g.entitlement.roleIds) ours.add(r);
    if (g.entitlement.fallbackRoleId) ours.add(g.entitlement.fallbackRoleId);
    if (!isLive(g, now) && g.entitlement.revokeAction === 'keep') {
      for (const r of g.grantedRoleIds) keptByPolicy.add(r);
      for (const r of g.entitlement.roleIds) keptByPolicy.add(r);
    }
  }

  if (memberRoleIds === null) {
    return { desired, add: [], remove: [], join: entitled, kick: false, entitled };
  }

  const have = new Set(memberRoleIds);
  const add = [...desired].filter((r) => !have.has(r) && managedRoleIds.has(r)).sort();
  const remove = [...have]
    .filter((r) => managedRoleIds.has(r) && !desired.has(r) && !keptByPolicy.has(r))
    .filter((r) => ours.has(r) || enforcedRoleIds.has(r))
    .sort();

  const kick =
    !entitled &&
    grants.some((g) => g.entitlement.revokeAction === 'kick' && g.deliveredAt !== null && !isLive(g, now));

  return { desired, add: kick ? [] : add, remove: kick ? [] : remove, join: false, kick, entitled };
}
