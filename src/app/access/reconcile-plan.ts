import { isLive, planMemberSync } from '../../core/desired-roles.js';
import type { DiscordMember } from '../../core/ports/discord.js';
import { roleProblem, type BotStanding, type RoleInfo } from '../../core/role-grantability.js';
import type { AccessGrant } from './access-grant.js';
import type { MemberDrift } from './reconcile-types.js';

/** Reconcile's plan of one page of members, as a pure function (the same planMemberSync member sync uses). */

/** One page as read: its members, and the grants of every user in the page's id range. */
export interface Page {
  members: DiscordMember[];
  /**
   * Grants by user of every linked user whose id falls in the page's range, members or not: a
   * user here who is not among `members` is a buyer who is not in the server.
   */
  grants: Map<string, AccessGrant[]>;
}

/** What the plan of every page shares. */
export interface PlanContext {
  managed: ReadonlySet<string>;
  enforced: ReadonlySet<string>;
  standing: { roles: RoleInfo[]; bot: BotStanding };
  now: number;
}

/** One member whose roles differ: what to add, what to remove, and their roles as they change. */
export interface MemberRepair {
  userId: string;
  grants: AccessGrant[];
  /** The member's roles; the writer keeps them up to date. */
  held: Set<string>;
  add: string[];
  remove: string[];
  /** Changes planned and not (yet) applied: a failed or held-back one keeps it above 0. */
  pending: number;
}

export interface PagePlan {
  /** Managed role assignments seen (the base of the breaker's share). */
  assignments: number;
  drift: MemberDrift[];
  repairs: MemberRepair[];
  /** Members the revoke policy says to kick (member sync checks it can). */
  kicks: string[];
  /** Members with a live grant still waiting for its delivered status (member sync records it). */
  waiting: string[];
  /** Buyers with a live grant who are not in the server. */
  missing: { userId: string; grants: AccessGrant[] }[];
}

function planMember(
  member: DiscordMember,
  grants: AccessGrant[] | undefined,
  pc: PlanContext,
  out: PagePlan,
) {
  const { userId, roleIds } = member;
  let held = 0;
  for (const r of roleIds) if (pc.managed.has(r)) held += 1;
  out.assignments += held;
  if (!grants && (held === 0 || !roleIds.some((r) => pc.enforced.has(r)))) return; // the common case: nothing of ours
  let managed = pc.managed;
  for (const g of grants ?? [])
    for (const r of g.grantedRoleIds)
      if (!managed.has(r)) {
        if (managed === pc.managed) managed = new Set(pc.managed);
        (managed as Set<string>).add(r);
      }
  const plan = planMemberSync({
    grants: grants ?? [],
    managedRoleIds: managed,
    enforcedRoleIds: pc.enforced,
    memberRoleIds: roleIds,
    now: pc.now,
  });
  if (plan.kick) {
    out.kicks.push(userId);
    out.drift.push({ userId, add: [], remove: [], kick: true });
    return;
  }
  // A role the bot cannot touch (deleted since the grant) is not drift reconcile can fix.
  const fixable = (r: string) => !roleProblem(r, pc.standing.roles, pc.standing.bot);
  const add = plan.add.filter(fixable);
  const remove = plan.remove.filter(fixable);
  if (add.length || remove.length) {
    out.drift.push({ userId, add, remove });
    const repair = { grants: grants ?? [], held: new Set(roleIds), pending: add.length + remove.length };
    out.repairs.push({ userId, add, remove, ...repair });
  }
  if (grants?.some((g) => isLive(g, pc.now) && g.status !== 'delivered')) out.waiting.push(userId);
}

export function planPage(page: Page, pc: PlanContext): PagePlan {
  const out: PagePlan = { assignments: 0, drift: [], repairs: [], kicks: [], waiting: [], missing: [] };
  const inPage = new Set<string>();
  for (const m of page.members) {
    inPage.add(m.userId);
    planMember(m, page.grants.get(m.userId), pc, out);
  }
  for (const [userId, grants] of page.grants)
    if (!inPage.has(userId) && grants.some((g) => isLive(g, pc.now))) out.missing.push({ userId, grants });
  return out;
}
